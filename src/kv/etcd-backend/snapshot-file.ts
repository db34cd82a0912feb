/**
 * The snapshot file envelope of etcd's Maintenance.Snapshot stream: the backend database followed
 * by the 32-byte SHA-256 of the database (etcdserver/api/v3rpc maintenance.go). `etcdctl snapshot
 * save` stores the stream as is, so a saved file is `db || sha256(db)`. Like `etcdctl snapshot
 * restore`, a file is taken to carry the trailer when its size modulo 512 is 32 (a bbolt database is
 * a whole number of pages, so it never is on its own).
 * @module
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { SnapshotCorruptError } from '../bbolt/errors.js';

/** Bytes of the trailing digest. */
export const SHA256_BYTES = 32;

/** What {@link verifySnapshotFile} found. */
export interface SnapshotFileInfo {
  /** Bytes of the database part (the file minus the trailer, if any). */
  readonly dbLength: number;
  /** Whether the file carried a trailing sha256 (which then matched). */
  readonly hasSha256: boolean;
}

/** True when a file of `size` bytes carries etcd's sha256 trailer (etcd's own test). */
export function hasSha256Trailer(size: number): boolean {
  return size % 512 === SHA256_BYTES;
}

/** SHA-256 of the first `length` bytes of `path`, streamed. */
export async function sha256Of(path: string, length: number): Promise<Uint8Array> {
  const hash = createHash('sha256');
  if (length > 0) {
    for await (const chunk of createReadStream(path, { start: 0, end: length - 1, highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  }
  return hash.digest();
}

/**
 * Checks the trailer of a snapshot file when it has one. Throws {@link SnapshotCorruptError}
 * (problem `'sha256'`) when the digest does not match the database bytes.
 */
export async function verifySnapshotFile(path: string): Promise<SnapshotFileInfo> {
  const size = (await stat(path)).size;
  if (!hasSha256Trailer(size)) return { dbLength: size, hasSha256: false };
  const dbLength = size - SHA256_BYTES;
  const want = new Uint8Array(SHA256_BYTES);
  const file = await open(path, 'r');
  try {
    await file.read(want, 0, SHA256_BYTES, dbLength);
  } finally {
    await file.close();
  }
  const got = await sha256Of(path, dbLength);
  if (Buffer.compare(want, got) !== 0) {
    throw new SnapshotCorruptError('sha256', `trailing sha256 ${Buffer.from(want).toString('hex')} does not match the database's ${Buffer.from(got).toString('hex')}`);
  }
  return { dbLength, hasSha256: true };
}

/** Appends the sha256 of the whole file to it, turning a database into a snapshot file. */
export async function appendSha256(path: string): Promise<void> {
  const size = (await stat(path)).size;
  const digest = await sha256Of(path, size);
  const file = await open(path, 'a');
  try {
    await file.write(digest);
    await file.sync();
  } finally {
    await file.close();
  }
}
