import type { BytesSublevel } from './level-load.js';
import { chunkKey } from './keys.js';
import { seal } from './records.js';
import { StorageInvalidArgumentError } from './errors.js';

/**
 * Stores `chunks` as the chunks of the snapshot at `index` in `snap` as they arrive, re-cut to
 * `chunkSize` bytes and sealed, with unsynced writes; whatever was stored for `index` before is
 * removed first. Resolves to the number of chunks and bytes stored. Making the snapshot current
 * (its header, synced) is the caller's part.
 */
export async function writeChunks(
  snap: BytesSublevel,
  index: number,
  chunkSize: number,
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
): Promise<{ chunks: number; byteLength: number }> {
  await snap.clear({ gte: chunkKey(index, 0), lt: chunkKey(index + 1, 0) });
  const pending = new Uint8Array(chunkSize);
  let fill = 0;
  let n = 0;
  let size = 0;
  const flush = async (): Promise<void> => {
    await snap.put(chunkKey(index, n++), seal(pending.subarray(0, fill)));
    size += fill;
    fill = 0;
  };
  for await (const chunk of chunks) {
    if (!(chunk instanceof Uint8Array)) throw new StorageInvalidArgumentError('snapshot chunks must be Uint8Arrays');
    for (let at = 0; at < chunk.length; ) {
      const take = Math.min(chunk.length - at, chunkSize - fill);
      pending.set(chunk.subarray(at, at + take), fill);
      fill += take;
      at += take;
      if (fill === chunkSize) await flush();
    }
  }
  if (fill > 0) await flush();
  return { chunks: n, byteLength: size };
}
