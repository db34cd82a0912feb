/**
 * Writes a bbolt database file from buckets whose keys arrive as sorted streams, without holding
 * the data in memory: each bucket's tree is bulk-loaded bottom-up (tree-builder.ts) into pages
 * allocated in order from page 2; small buckets are inlined into their parent's leaf as bbolt does;
 * then come the root bucket's pages, an empty freelist page and finally the two meta pages.
 *
 * Every page below the high-water mark is reachable (or is the freelist), so bbolt's consistency
 * check (`tx.Check`, which `etcdctl snapshot status` runs) finds no unreachable or unfreed page.
 * @module
 */
import { open } from 'node:fs/promises';
import { BoltInputError } from './errors.js';
import {
  BUCKET_LEAF_FLAG,
  DEFAULT_PAGE_SIZE,
  MAX_KEY_SIZE,
  PAGE_HEADER_SIZE,
  PageFlag,
  compareBytes,
  encodeBucketHeader,
  encodeMetaPage,
  writePageHeader,
} from './format.js';
import type { LeafItem } from './node-page.js';
import { encodeInlineBucket, leafItemSize } from './node-page.js';
import { PageSink } from './page-sink.js';
import { TreeBuilder } from './tree-builder.js';

/** One key/value pair fed to the writer. The writer keeps references: do not reuse the arrays. */
export interface BoltEntry {
  /** The key (1..32768 bytes). */
  readonly key: Uint8Array;
  /** The value. */
  readonly value: Uint8Array;
}

/** One bucket fed to the writer: its name and its entries in strictly ascending key order. */
export interface BoltBucketSource {
  /** The bucket's name (a key of the root bucket). */
  readonly name: Uint8Array | string;
  /** The bucket's entries, keys strictly ascending. */
  readonly entries: AsyncIterable<BoltEntry> | Iterable<BoltEntry>;
}

/** Options of {@link writeBoltFile}. */
export interface BoltWriteOptions {
  /** Page size in bytes. Default 4096 (what etcd uses). */
  readonly pageSize?: number;
  /** Transaction id stamped in meta page 0 (page 1 gets txid - 1, as bbolt's `Tx.WriteTo` does). Default 2. */
  readonly txid?: bigint;
  /** fsync the file before resolving. Default true. */
  readonly sync?: boolean;
}

/** What {@link writeBoltFile} wrote. */
export interface BoltWriteResult {
  /** File size in bytes (pgid × pageSize). */
  readonly size: number;
  /** Pages in use (the meta's high-water mark). */
  readonly pages: number;
  /** Number of key/value pairs written over all buckets. */
  readonly keys: number;
}

const encoder = new TextEncoder();

/**
 * Writes the bbolt file at `path` (created or truncated) holding `buckets`, which must come in
 * strictly ascending name order, each with strictly ascending keys. Throws {@link BoltInputError}
 * on out-of-order or invalid input (the partial file is left behind for the caller to remove).
 */
export async function writeBoltFile(
  path: string,
  buckets: AsyncIterable<BoltBucketSource> | Iterable<BoltBucketSource>,
  options: BoltWriteOptions = {},
): Promise<BoltWriteResult> {
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  const txid = options.txid ?? 2n;
  const file = await open(path, 'w');
  try {
    const sink = new PageSink(file, pageSize, 2);
    const rootItems: LeafItem[] = [];
    let keys = 0;
    let lastName: Uint8Array | undefined;
    for await (const bucket of buckets) {
      const name = typeof bucket.name === 'string' ? encoder.encode(bucket.name) : bucket.name;
      checkKey(name, lastName, 'bucket name');
      lastName = name;
      const written = await writeBucket(sink, bucket.entries);
      keys += written.keys;
      rootItems.push({ key: name, value: written.value, flags: BUCKET_LEAF_FLAG });
    }
    const rootTree = new TreeBuilder(sink);
    for (const item of rootItems) rootTree.add(item);
    const root = rootItems.length === 0 ? emptyLeaf(sink) : rootTree.finish();
    const freelist = sink.allocate(1);
    writePageHeader(freelist.buf, { id: BigInt(freelist.pgid), flags: PageFlag.FREELIST, count: 0, overflow: 0 });
    await sink.flush();
    const meta = { pageSize, root, sequence: 0n, freelist: freelist.pgid, pgid: sink.nextPgid };
    await file.write(encodeMetaPage({ ...meta, txid }, 0), 0, pageSize, 0);
    await file.write(encodeMetaPage({ ...meta, txid: txid - 1n }, 1), 0, pageSize, pageSize);
    if (options.sync ?? true) await file.sync();
    return { size: sink.nextPgid * pageSize, pages: sink.nextPgid, keys };
  } finally {
    await file.close();
  }
}

function emptyLeaf(sink: PageSink): number {
  const { pgid, buf } = sink.allocate(1);
  writePageHeader(buf, { id: BigInt(pgid), flags: PageFlag.LEAF, count: 0, overflow: 0 });
  return pgid;
}

function checkKey(key: Uint8Array, last: Uint8Array | undefined, what: string): void {
  if (key.length === 0 || key.length > MAX_KEY_SIZE) throw new BoltInputError(`${what} must be 1..${String(MAX_KEY_SIZE)} bytes, got ${String(key.length)}`);
  if (last !== undefined && compareBytes(last, key) >= 0) throw new BoltInputError(`${what}s must be strictly ascending`);
}

/**
 * Writes one bucket's entries. Buffers entries while they would still fit an inline bucket
 * (leaf size <= pageSize/4, bbolt's `maxInlineBucketSize`); past that, they go to a tree.
 */
async function writeBucket(sink: PageSink, entries: AsyncIterable<BoltEntry> | Iterable<BoltEntry>): Promise<{ value: Uint8Array; keys: number }> {
  const inlineLimit = sink.pageSize / 4;
  let buffered: LeafItem[] | null = [];
  let bufferedBytes = PAGE_HEADER_SIZE;
  let tree = null as TreeBuilder | null;
  let last: Uint8Array | undefined;
  let keys = 0;
  const add = (e: BoltEntry): void => {
    checkKey(e.key, last, 'key');
    last = e.key;
    keys++;
    const item: LeafItem = { key: e.key, value: e.value, flags: 0 };
    if (tree !== null) return tree.add(item);
    buffered!.push(item);
    bufferedBytes += leafItemSize(item);
    if (bufferedBytes <= inlineLimit) return;
    tree = new TreeBuilder(sink);
    for (const b of buffered!) tree.add(b);
    buffered = null;
  };
  if (Symbol.iterator in entries) {
    for (const e of entries) {
      add(e);
      if (sink.needsFlush) await sink.flush();
    }
  } else {
    for await (const e of entries) {
      add(e);
      if (sink.needsFlush) await sink.flush();
    }
  }
  if (buffered !== null) return { value: encodeInlineBucket(buffered), keys };
  return { value: encodeBucketHeader(tree!.finish()), keys };
}
