/**
 * etcd's Maintenance.Snapshot stream for a raftkit KV: the backend file is written to a temporary
 * file first (bbolt's meta pages, at the front, are only known once everything else is written),
 * then sent in 32 KiB chunks with the bytes still to come, and a last chunk holding the SHA-256 of
 * everything before it — what etcd's server sends and `etcdctl snapshot save` stores verbatim.
 * @module
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeEtcdBackend } from './backend-writer.js';
import type { EtcdBackendSource } from './backend-writer.js';

/** Bytes of each data chunk, as etcd's server sends them. */
export const SNAPSHOT_CHUNK_BYTES = 32 * 1024;

/** One message of the snapshot stream (etcdserverpb.SnapshotResponse without its header). */
export interface SnapshotChunk {
  /** Bytes of the file left to send after this chunk (the sha256 does not count, as in etcd's). */
  readonly remainingBytes: number;
  /** This chunk's bytes. */
  readonly blob: Uint8Array;
}

/** Options of {@link snapshotChunks}. */
export interface SnapshotStreamOptions {
  /** Where the temporary file goes. Default: the OS temp dir. */
  readonly tmpDir?: string;
}

/**
 * Streams `source` as etcd snapshot chunks. The temporary file is removed when the stream ends,
 * fails or is abandoned by the consumer.
 * @param source - the backend content (streams are read once).
 * @param options - where the temporary file goes.
 * @yields {SnapshotChunk} 32 KiB data chunks, then one 32-byte sha256 chunk.
 */
export async function* snapshotChunks(source: EtcdBackendSource, options: SnapshotStreamOptions = {}): AsyncGenerator<SnapshotChunk> {
  const dir = await mkdtemp(join(options.tmpDir ?? tmpdir(), 'raftkit-snapshot-'));
  try {
    const file = join(dir, 'db');
    await writeEtcdBackend(file, source);
    const size = (await stat(file)).size;
    const hash = createHash('sha256');
    let sent = 0;
    for await (const chunk of createReadStream(file, { highWaterMark: SNAPSHOT_CHUNK_BYTES })) {
      const blob = new Uint8Array(chunk as Buffer);
      hash.update(blob);
      sent += blob.length;
      yield { remainingBytes: size - sent, blob };
    }
    yield { remainingBytes: 0, blob: new Uint8Array(hash.digest()) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Writes a snapshot stream to `path` as `etcdctl snapshot save` does (every chunk, the sha256 included). */
export async function writeSnapshotChunks(path: string, chunks: AsyncIterable<SnapshotChunk>): Promise<void> {
  const out = createWriteStream(path);
  try {
    for await (const c of chunks) {
      if (!out.write(c.blob)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    }
  } finally {
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  }
}
