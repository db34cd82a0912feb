import { join } from 'node:path';
import { crc32c } from '../crc32c.js';
import { CorruptStorageError } from '../errors.js';
import type { WalFile, WalFileSystem } from './wal-fs.js';

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
export async function listDir(fs: WalFileSystem, dir: string): Promise<DirListing> {
  const out: DirListing = { segments: [], snapshots: [], temporary: [] };
  for (const name of await fs.readdir(dir)) {
    if (/^[0-9a-f]{16}\.wal$/.test(name)) out.segments.push(parseInt(name.slice(0, 16), 16));
    else if (/^snap-[0-9a-f]{16}$/.test(name)) out.snapshots.push(parseInt(name.slice(5), 16));
    else if (name.endsWith('.tmp')) out.temporary.push(name);
  }
  out.segments.sort((a, b) => a - b);
  out.snapshots.sort((a, b) => a - b);
  return out;
}

/** How many bytes {@link preallocate} writes between two flushes. */
export const PREALLOCATE_FLUSH_BYTES = 1 << 20;

/**
 * The most bytes {@link zeroFill} writes with one call. The page cache keeps a file in folios
 * sized by the writes that created them, and Linux (6.16 on) gives ext4 files large folios: a
 * zero-fill of one MiB per write left the segment in folios of up to a MiB, and every later
 * small write into one walks all its blocks' buffer heads, in the write and again in its flush.
 * Measured 2026-12-06 (kernel 6.18, ext4, virtio disk), 400-byte O_DSYNC writes through Node's
 * thread pool into a 64 MiB file zero-filled by writes of each size, three runs of 20,000 writes
 * each: 1 MiB 60.9-69.6 µs per write (19-22 µs of it in the kernel), 256 KiB 54.4-61.0
 * (14-16), 64 KiB 55.5-58.6 (17-18), 4 KiB 55.5-57.3 (16-17). A segment takes 1,024 writes
 * instead of 64.
 */
export const ZERO_FILL_WRITE_BYTES = 1 << 16;

/** {@link ZERO_FILL_WRITE_BYTES} zero bytes, never written to: what {@link zeroFill} writes, and what a segment's unwritten tail is compared against. */
export const ZEROS: Readonly<Buffer> = Buffer.alloc(ZERO_FILL_WRITE_BYTES);

/**
 * Writes zeros over `[from, to)` of an open file, {@link ZERO_FILL_WRITE_BYTES} per write; with
 * `flushEach`, flushing after every {@link PREALLOCATE_FLUSH_BYTES} written and after the last.
 */
export async function zeroFill(file: WalFile, from: number, to: number, flushEach = false): Promise<void> {
  for (let at = from; at < to; at += ZEROS.length) {
    const end = Math.min(at + ZEROS.length, to);
    await file.write(ZEROS.subarray(0, end - at), at);
    // A write never straddles a flush boundary: ZERO_FILL_WRITE_BYTES divides PREALLOCATE_FLUSH_BYTES.
    if (flushEach && ((end - from) % PREALLOCATE_FLUSH_BYTES === 0 || end === to)) await file.datasync();
  }
}

/**
 * Creates `path` as a `size`-byte file of zeros and flushes it: every block is allocated
 * up front (node has no fallocate), so later writes in place change no file metadata and
 * an fdatasync only flushes data.
 *
 * Each MiB is flushed as it is written ({@link PREALLOCATE_FLUSH_BYTES}), not the whole file
 * at the end: the next segment is prepared while the log is written, and one flush of a whole
 * segment hands the disk all of it at once, with the log's own writes queued behind. Measured
 * 2026-12-06, `WalStorage` saving 2 KiB entries one at a time, synced, through the preparation
 * of its next 64 MiB segment, ten runs each: the longest save took 68-106 ms (median 89) with
 * one flush at the end, 9-74 ms in nine runs and 143 ms in one (median 24) with a flush per MiB.
 * The saves during the preparation pay for it: in a run of 23,000 saves, where the preparation
 * holds a tenth of them, the p99 rose from 0.20-0.24 to 0.23-0.27 ms on a quiet disk, and from
 * 1.2-2.4 to 1.6-4.0 ms on a busy one; at 64 MiB per segment a preparation is a far smaller part
 * of a log's life. A flush per 256 KiB doubled that p99. The file takes about as long.
 */
export async function preallocate(fs: WalFileSystem, path: string, size: number): Promise<void> {
  const file = await fs.open(path, 'create');
  try {
    await zeroFill(file, 0, size, true);
  } finally {
    await file.close();
  }
}

/** Unlinks files of `dir`, ignoring ones already gone. */
export async function removeFiles(fs: WalFileSystem, dir: string, names: readonly string[]): Promise<void> {
  for (const name of names) {
    await fs.unlink(join(dir, name)).catch((err: unknown) => {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    });
  }
}

/** Writes snapshot data durably: a temporary file, fsync, rename, directory fsync (see {@link writeSnapshotStream}). */
export async function writeSnapshotFile(fs: WalFileSystem, dir: string, index: number, data: Uint8Array): Promise<void> {
  await writeSnapshotStream(fs, dir, index, [data]);
}

/**
 * Writes snapshot data durably as it arrives in chunks: a temporary file whose checksum is
 * written last, fsync, rename, directory fsync; the data is never held in one buffer. Resolves
 * to the data's length.
 */
export async function writeSnapshotStream(fs: WalFileSystem, dir: string, index: number, chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<number> {
  const tmp = join(dir, `${snapshotName(index)}.tmp`);
  const file = await fs.open(tmp, 'create');
  let at = 4;
  let crc = 0;
  try {
    for await (const c of chunks) {
      if (c.length === 0) continue;
      crc = crc32c(c, crc);
      await file.write(c, at);
      at += c.length;
    }
    const head = Buffer.allocUnsafe(4);
    head.writeUInt32LE(crc, 0);
    await file.write(head, 0);
    await file.datasync();
  } finally {
    await file.close();
  }
  await fs.rename(tmp, join(dir, snapshotName(index)));
  await fs.syncDir(dir);
  return at - 4;
}

/** Reads and checks the snapshot data at `index`. */
export async function readSnapshotFile(fs: WalFileSystem, dir: string, index: number): Promise<Uint8Array> {
  let bytes: Buffer;
  try {
    bytes = await readWhole(fs, join(dir, snapshotName(index)));
  } catch (cause) {
    throw new CorruptStorageError('snapshot data', index, 'the file cannot be read', { cause });
  }
  if (bytes.length < 4) throw new CorruptStorageError('snapshot data', index, 'the file is too short');
  const data = new Uint8Array(bytes.subarray(4));
  if (crc32c(data) !== bytes.readUInt32LE(0)) throw new CorruptStorageError('snapshot data', index, 'checksum mismatch');
  return data;
}

/** Reads the whole file at `path`. */
export async function readWhole(fs: WalFileSystem, path: string): Promise<Buffer> {
  const file = await fs.open(path, 'read');
  try {
    const b = await file.read();
    return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  } finally {
    await file.close();
  }
}
