/**
 * Encoding of bbolt branch and leaf pages (layouts in format.ts): elements first, then the keys
 * (branch) or key+value pairs (leaf), each element's `pos` counting from the element itself.
 * @module
 */
import { BUCKET_HEADER_SIZE, ELEMENT_SIZE, PAGE_HEADER_SIZE, PageFlag, encodeBucketHeader, writePageHeader } from './format.js';

/** One key/value of a leaf page; `flags` is 0x01 when the value is a bucket. */
export interface LeafItem {
  /** The key. */
  readonly key: Uint8Array;
  /** The value. */
  readonly value: Uint8Array;
  /** Leaf element flags (0 or BUCKET_LEAF_FLAG). */
  readonly flags: number;
}

/** One child pointer of a branch page. */
export interface BranchItem {
  /** The child's first key. */
  readonly key: Uint8Array;
  /** The child's page id. */
  readonly pgid: number;
}

/** Bytes a leaf item occupies in a page (element + key + value). */
export function leafItemSize(item: LeafItem): number {
  return ELEMENT_SIZE + item.key.length + item.value.length;
}

/** Bytes a branch item occupies in a page (element + key). */
export function branchItemSize(item: BranchItem): number {
  return ELEMENT_SIZE + item.key.length;
}

/** Pages needed for a node whose header+elements+data is `bytes` long. */
export function pagesFor(bytes: number, pageSize: number): number {
  return Math.max(1, Math.ceil(bytes / pageSize));
}

/**
 * Encodes a leaf page for page `id` into `out` (a whole number of pages, zero-filled), with
 * `overflow` = pages - 1. Pass `out` of exactly `dataBytes` for an inline bucket page (id 0).
 */
export function encodeLeafPage(out: Uint8Array, id: number, items: readonly LeafItem[], overflow: number): void {
  writePageHeader(out, { id: BigInt(id), flags: PageFlag.LEAF, count: items.length, overflow });
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  let data = PAGE_HEADER_SIZE + ELEMENT_SIZE * items.length;
  items.forEach((item, i) => {
    const el = PAGE_HEADER_SIZE + ELEMENT_SIZE * i;
    dv.setUint32(el, item.flags, true);
    dv.setUint32(el + 4, data - el, true);
    dv.setUint32(el + 8, item.key.length, true);
    dv.setUint32(el + 12, item.value.length, true);
    out.set(item.key, data);
    data += item.key.length;
    out.set(item.value, data);
    data += item.value.length;
  });
}

/** Encodes a branch page for page `id` into `out` (a whole number of pages, zero-filled). */
export function encodeBranchPage(out: Uint8Array, id: number, items: readonly BranchItem[], overflow: number): void {
  writePageHeader(out, { id: BigInt(id), flags: PageFlag.BRANCH, count: items.length, overflow });
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  let data = PAGE_HEADER_SIZE + ELEMENT_SIZE * items.length;
  items.forEach((item, i) => {
    const el = PAGE_HEADER_SIZE + ELEMENT_SIZE * i;
    dv.setUint32(el, data - el, true);
    dv.setUint32(el + 4, item.key.length, true);
    dv.setBigUint64(el + 8, BigInt(item.pgid), true);
    out.set(item.key, data);
    data += item.key.length;
  });
}

/** The value of an inline bucket: header `{0, 0}` then a leaf page with id 0 holding `items`. */
export function encodeInlineBucket(items: readonly LeafItem[]): Uint8Array {
  const bytes = PAGE_HEADER_SIZE + items.reduce((n, it) => n + leafItemSize(it), 0);
  const out = new Uint8Array(BUCKET_HEADER_SIZE + bytes);
  out.set(encodeBucketHeader(0), 0);
  encodeLeafPage(out.subarray(BUCKET_HEADER_SIZE), 0, items, 0);
  return out;
}
