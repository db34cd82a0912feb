import { constants } from 'node:fs';
import { open, readdir, rename, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32c } from '../crc32c.js';
import { CorruptStorageError } from '../errors.js';

/**
 * The files of a {@link WalStorage} directory:
 *
 * ```
 * <seq:16 hex>.wal     a log segment (see format.ts), preallocated and zero-filled
 * spare.tmp            the next segment, being prepared (renamed into place when needed)
 * snap-<index:16 hex>  the data of the snapshot at index: u32le(crc32c(data)) ‖ data
 * (name).tmp           anything half-written; removed on open
 * ```
 * @module
 */

/** The file name of segment `seq`. */
export function segmentName(seq: number): string {
  return `${seq.toString(16).padStart(16, '0')}.wal`;
}

/** The file name of the snapshot data at `index`. */
export function snapshotName(index: number): string {
  return `snap-${index.toString(16).padStart(16, '0')}`;
}

/** The segment and snapshot files present in `dir` (created elsewhere), sorted. */
export interface DirListing {
  /** Segment sequence numbers, ascending. */
  segments: number[];
  /** Snapshot indexes, ascending. */
  snapshots: number[];
  /** Leftover temporary files. */
  temporary: string[];
}

/** Lists `dir`. */
export async function listDir(dir: string): Promise<DirListing> {
  const out: DirListing = { segments: [], snapshots: [], temporary: [] };
  for (const name of await readdir(dir)) {
    if (/^[0-9a-f]{16}\.wal$/.test(name)) out.segments.push(parseInt(name.slice(0, 16), 16));
    else if (/^snap-[0-9a-f]{16}$/.test(name)) out.snapshots.push(parseInt(name.slice(5), 16));
    else if (name.endsWith('.tmp')) out.temporary.push(name);
  }
  out.segments.sort((a, b) => a - b);
  out.snapshots.sort((a, b) => a - b);
  return out;
}

/** fsyncs the directory itself, so that creates, renames and unlinks in it are durable. */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, constants.O_RDONLY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

const ZEROS = Buffer.alloc(1 << 20);

/** Writes zeros over `[from, to)` of an open file. */
export async function zeroFill(fh: FileHandle, from: number, to: number): Promise<void> {
  for (let at = from; at < to; at += ZEROS.length) await fh.write(ZEROS, 0, Math.min(ZEROS.length, to - at), at);
}

/**
 * Creates `path` as a `size`-byte file of zeros and fsyncs it: every block is allocated
 * up front (node has no fallocate), so later writes in place change no file metadata and
 * an fdatasync only flushes data.
 */
export async function preallocate(path: string, size: number): Promise<void> {
  const fh = await open(path, 'w');
  try {
    await zeroFill(fh, 0, size);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Unlinks files of `dir`, ignoring ones already gone. */
export async function removeFiles(dir: string, names: readonly string[]): Promise<void> {
  for (const name of names) {
    await unlink(join(dir, name)).catch((err: unknown) => {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    });
  }
}

/** Writes snapshot data durably: a temporary file, fsync, rename, directory fsync. */
export async function writeSnapshotFile(dir: string, index: number, data: Uint8Array): Promise<void> {
  const tmp = join(dir, `${snapshotName(index)}.tmp`);
  const fh = await open(tmp, 'w');
  try {
    const head = Buffer.alloc(4);
    head.writeUInt32LE(crc32c(data), 0);
    await fh.writev([head, data]);
    await fh.datasync();
  } finally {
    await fh.close();
  }
  await rename(tmp, join(dir, snapshotName(index)));
  await syncDir(dir);
}

/** Reads and checks the snapshot data at `index`. */
export async function readSnapshotFile(dir: string, index: number): Promise<Uint8Array> {
  let bytes: Buffer;
  try {
    const fh = await open(join(dir, snapshotName(index)), 'r');
    try {
      bytes = await fh.readFile();
    } finally {
      await fh.close();
    }
  } catch (cause) {
    throw new CorruptStorageError('snapshot data', index, 'the file cannot be read', { cause });
  }
  if (bytes.length < 4) throw new CorruptStorageError('snapshot data', index, 'the file is too short');
  const data = new Uint8Array(bytes.subarray(4));
  if (crc32c(data) !== bytes.readUInt32LE(0)) throw new CorruptStorageError('snapshot data', index, 'checksum mismatch');
  return data;
}
