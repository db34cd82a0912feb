import type { KvBackend } from './backend.js';
import type { BackendView } from './backend-view.js';
import { encodeKvSnapshot } from './snapshot-format.js';

/**
 * Captures the KV's snapshot at its current state (see `StateMachine.captureSnapshot`): waits
 * for every applied batch to be written, then, in the same turn, takes a consistent view of
 * the database and the store's revision; the chunks are read and encoded from that view
 * afterwards, however much is applied meanwhile. A database without explicit snapshots gets
 * no view: the chunks are then read and buffered before this resolves.
 *
 * @param backend - the KV's backend.
 * @param rev - the store's current revision (read once the view is taken).
 */
export async function captureKvSnapshot(backend: KvBackend, rev: () => number): Promise<AsyncIterable<Uint8Array>> {
  await backend.flush();
  const view = backend.readView();
  const current = rev();
  if (view !== undefined) return viewChunks(view, current);
  const parts: Uint8Array[] = [];
  for await (const c of viewChunks(backend.liveView(), current)) parts.push(c);
  return fromArray(parts);
}

/**
 * Encodes the snapshot from `view`, and releases the view when done or abandoned.
 *
 * @yields {Uint8Array} the snapshot's chunks.
 */
async function* viewChunks(view: BackendView, rev: number): AsyncGenerator<Uint8Array> {
  try {
    yield* encodeKvSnapshot({ compactRev: await view.compaction(), rev }, view.revisions(), view.leases(), view.alarms(), view.members());
  } finally {
    await view.close();
  }
}

/**
 * Chunks already read.
 *
 * @yields {Uint8Array} each of `parts`.
 */
async function* fromArray(parts: readonly Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield await Promise.resolve(p);
}

/**
 * One chunk as an async iterable.
 *
 * @param chunk - the bytes.
 * @yields {Uint8Array} the chunk.
 */
export async function* oneChunk(chunk: Uint8Array): AsyncGenerator<Uint8Array> {
  yield await Promise.resolve(chunk);
}
