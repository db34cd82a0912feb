/**
 * bbolt's on-disk format (etcd-io/bbolt, format version 2), as read back from bbolt's sources
 * (internal/common page.go, meta.go, bucket.go, inode.go) and checked against files written by
 * etcd 3.4. Every integer is little-endian (bbolt writes its structs in host order; every
 * platform etcd ships for is little-endian). Page ids (`pgid`) are uint64 page numbers: page `n`
 * starts at byte `n * pageSize`.
 *
 * Page header, 16 bytes, at the start of every page:
 * ```
 *  0  id        u64   the page's own id
 *  8  flags     u16   0x01 branch, 0x02 leaf, 0x04 meta, 0x10 freelist
 * 10  count     u16   number of elements (freelist: ids, 0xFFFF = count in the first u64)
 * 12  overflow  u32   number of extra pages this page spans (a page is overflow+1 pages long)
 * ```
 * Meta page (pages 0 and 1), the 64-byte meta right after the header:
 * ```
 * 16  magic     u32   0xED0CDAED
 * 20  version   u32   2
 * 24  pageSize  u32   4096 on the platforms etcd runs on
 * 28  flags     u32   0
 * 32  root      bucket header of the root bucket: root pgid u64, sequence u64
 * 48  freelist  u64   page id of the freelist, or 0xFFFFFFFFFFFFFFFF when not synced (etcd)
 * 56  pgid      u64   high-water mark: the number of pages in use (file data is pgid*pageSize)
 * 64  txid      u64   transaction id; the valid meta with the higher txid wins
 * 72  checksum  u64   FNV-64a over the 56 bytes magic..txid (offsets 16..71)
 * ```
 * Branch page: `count` elements of 16 bytes, then the keys:
 * ```
 * +0 pos u32 (from this element's own start to its key)  +4 ksize u32  +8 pgid u64 (child)
 * ```
 * Leaf page: `count` elements of 16 bytes, then each key followed by its value:
 * ```
 * +0 flags u32 (0x01 = the value is a bucket)  +4 pos u32  +8 ksize u32  +12 vsize u32
 * ```
 * Bucket value (a leaf element with flag 0x01): the 16-byte bucket header `{root u64, sequence
 * u64}`. When `root` is 0 the bucket is *inline*: a leaf page (header with id 0, flags 0x02,
 * overflow 0, then elements and data) follows the header inside the value. bbolt inlines a bucket
 * whose leaf would take at most pageSize/4 bytes and holds no sub-bucket.
 *
 * Freelist page: the header, then `count` sorted u64 free page ids (if count is 0xFFFF, the first
 * u64 is the real count and the ids follow it).
 *
 * Buckets live as elements of the root bucket (`meta.root`), sorted by name, like any key.
 * @module
 */

/** bbolt's magic number, the first u32 of a meta. */
export const BOLT_MAGIC = 0xed0cdaed;
/** The only data format version bbolt writes and reads. */
export const BOLT_VERSION = 2;
/** The page size etcd's files use (bbolt takes the OS page size; 4096 on amd64/arm64 Linux). */
export const DEFAULT_PAGE_SIZE = 4096;
/** Bytes in a page header. */
export const PAGE_HEADER_SIZE = 16;
/** Bytes in a leaf or branch element. */
export const ELEMENT_SIZE = 16;
/** Bytes in a bucket header `{root, sequence}`. */
export const BUCKET_HEADER_SIZE = 16;
/** Byte offset of the checksum inside a meta page (16 header + 56 meta bytes). */
const META_CHECKSUM_OFFSET = 72;
/** bbolt's `pgidNoFreelist`: the meta's freelist field when the freelist is not written. */
export const NO_FREELIST = 0xffff_ffff_ffff_ffffn;
/** bbolt's MaxKeySize. */
export const MAX_KEY_SIZE = 32768;

/** Page type flags in a page header. */
export const PageFlag = { BRANCH: 0x01, LEAF: 0x02, META: 0x04, FREELIST: 0x10 } as const;
/** A page type flag value. */
export type PageFlag = (typeof PageFlag)[keyof typeof PageFlag];
/** The leaf element flag meaning "the value is a bucket header". */
export const BUCKET_LEAF_FLAG = 0x01;

/** A decoded page header. */
export interface PageHeader {
  /** The page's own id as written in it. */
  readonly id: bigint;
  /** The page type flags. */
  readonly flags: number;
  /** Element count. */
  readonly count: number;
  /** Extra pages spanned. */
  readonly overflow: number;
}

/** A decoded meta (pages 0 and 1). */
export interface BoltMeta {
  /** Page size in bytes. */
  readonly pageSize: number;
  /** The root bucket's root page. */
  readonly root: number;
  /** The root bucket's sequence. */
  readonly sequence: bigint;
  /** The freelist page, or `null` when the freelist is not synced to disk. */
  readonly freelist: number | null;
  /** High-water mark: pages in use. */
  readonly pgid: number;
  /** Transaction id. */
  readonly txid: bigint;
}

/** Reads a page header at `off` in `buf`. */
export function readPageHeader(buf: Uint8Array, off = 0): PageHeader {
  const dv = new DataView(buf.buffer, buf.byteOffset + off, PAGE_HEADER_SIZE);
  return { id: dv.getBigUint64(0, true), flags: dv.getUint16(8, true), count: dv.getUint16(10, true), overflow: dv.getUint32(12, true) };
}

/** Writes a page header at `off` in `buf`. */
export function writePageHeader(buf: Uint8Array, h: PageHeader, off = 0): void {
  const dv = new DataView(buf.buffer, buf.byteOffset + off, PAGE_HEADER_SIZE);
  dv.setBigUint64(0, h.id, true);
  dv.setUint16(8, h.flags, true);
  dv.setUint16(10, h.count, true);
  dv.setUint32(12, h.overflow, true);
}

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const U64 = 0xffff_ffff_ffff_ffffn;

/** FNV-64a of `bytes` (the meta checksum). */
export function fnv64a(bytes: Uint8Array): bigint {
  let h = FNV_OFFSET;
  for (const b of bytes) h = ((h ^ BigInt(b)) * FNV_PRIME) & U64;
  return h;
}

/** Encodes a meta page (header included) of `pageSize` bytes for page `id` (0 or 1). */
export function encodeMetaPage(meta: BoltMeta, id: 0 | 1): Uint8Array {
  const page = new Uint8Array(meta.pageSize);
  writePageHeader(page, { id: BigInt(id), flags: PageFlag.META, count: 0, overflow: 0 });
  const dv = new DataView(page.buffer);
  dv.setUint32(16, BOLT_MAGIC, true);
  dv.setUint32(20, BOLT_VERSION, true);
  dv.setUint32(24, meta.pageSize, true);
  dv.setUint32(28, 0, true);
  dv.setBigUint64(32, BigInt(meta.root), true);
  dv.setBigUint64(40, meta.sequence, true);
  dv.setBigUint64(48, meta.freelist === null ? NO_FREELIST : BigInt(meta.freelist), true);
  dv.setBigUint64(56, BigInt(meta.pgid), true);
  dv.setBigUint64(64, meta.txid, true);
  dv.setBigUint64(META_CHECKSUM_OFFSET, fnv64a(page.subarray(16, META_CHECKSUM_OFFSET)), true);
  return page;
}

/**
 * Decodes the meta at the start of `page` (at least 80 bytes), or returns a reason string when it
 * is not a valid meta (wrong magic, version, checksum or page type).
 */
export function decodeMeta(page: Uint8Array): BoltMeta | string {
  if (page.length < META_CHECKSUM_OFFSET + 8) return 'meta page is shorter than 80 bytes';
  const dv = new DataView(page.buffer, page.byteOffset, META_CHECKSUM_OFFSET + 8);
  if (dv.getUint32(16, true) !== BOLT_MAGIC) return 'bad magic';
  if (dv.getUint32(20, true) !== BOLT_VERSION) return `unsupported version ${String(dv.getUint32(20, true))}`;
  if (dv.getBigUint64(META_CHECKSUM_OFFSET, true) !== fnv64a(page.subarray(16, META_CHECKSUM_OFFSET))) return 'checksum mismatch';
  if ((dv.getUint16(8, true) & PageFlag.META) === 0) return 'page is not a meta page';
  const pageSize = dv.getUint32(24, true);
  if (pageSize < 1024 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) return `implausible page size ${String(pageSize)}`;
  const freelist = dv.getBigUint64(48, true);
  const root = dv.getBigUint64(32, true);
  const pgid = dv.getBigUint64(56, true);
  if (pgid > BigInt(Number.MAX_SAFE_INTEGER) || root >= pgid || root < 2n) return 'root or high-water mark out of range';
  if (freelist !== NO_FREELIST && (freelist >= pgid || freelist < 2n)) return 'freelist page out of range';
  return {
    pageSize,
    root: Number(root),
    sequence: dv.getBigUint64(40, true),
    freelist: freelist === NO_FREELIST ? null : Number(freelist),
    pgid: Number(pgid),
    txid: dv.getBigUint64(64, true),
  };
}

/** Encodes a bucket header `{root, sequence}`. */
export function encodeBucketHeader(root: number, sequence = 0n): Uint8Array {
  const out = new Uint8Array(BUCKET_HEADER_SIZE);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, BigInt(root), true);
  dv.setBigUint64(8, sequence, true);
  return out;
}

/** Compares two byte strings the way bbolt orders keys (bytewise, shorter prefix first). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}
