/**
 * Reads a bbolt database file (layouts in format.ts) as streams: the root bucket's buckets, then
 * each bucket's key/value pairs in key order, reading pages on demand through {@link PageReader}.
 * Every step is checked — meta magic/version/checksum, page ids against the file and the
 * high-water mark, page types, element bounds, strictly ascending keys, no page reached twice —
 * and a failed check throws {@link SnapshotCorruptError} naming the problem.
 * @module
 */
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { SnapshotCorruptError } from './errors.js';
import { BUCKET_HEADER_SIZE, BUCKET_LEAF_FLAG, DEFAULT_PAGE_SIZE, PAGE_HEADER_SIZE, PageFlag, compareBytes, decodeMeta, readPageHeader } from './format.js';
import type { BoltMeta } from './format.js';
import { PageReader, branchChildren, expectNode, leafElements } from './page-reader.js';
import type { Page } from './page-reader.js';

/** A bucket found in the file: where its tree starts. */
export interface BoltBucket {
  /** The bucket's name (its key in the parent bucket). */
  readonly name: Uint8Array;
  /** Root page id, or 0 for an inline bucket. */
  readonly root: number;
  /** The bucket's sequence counter. */
  readonly sequence: bigint;
  /** For an inline bucket, its embedded leaf page; otherwise `null`. */
  readonly inline: Uint8Array | null;
}

/** One pair yielded by {@link BoltReader.entries}. */
export interface BoltReadEntry {
  /** The key (a view; see {@link BoltReader.entryBatches}). */
  readonly key: Uint8Array;
  /** The value (a view); for a nested bucket, its raw bucket value. */
  readonly value: Uint8Array;
  /** True when the value is a nested bucket (open it with {@link BoltReader.openBucket}). */
  readonly isBucket: boolean;
}

/** Options of {@link BoltReader.open}. */
export interface BoltOpenOptions {
  /** Treat only the first `length` bytes as the database (e.g. to leave out a sha256 trailer). */
  readonly length?: number;
}

const MAX_DEPTH = 64;

/** A read-only, streaming view of one bbolt file. Close it with {@link BoltReader.close}. */
export class BoltReader {
  /** The meta in force (the valid one of pages 0/1 with the higher txid). */
  readonly meta: BoltMeta;
  /** Bytes of the database (pgid × pageSize); what bbolt's `Tx.Size` reports. */
  readonly size: number;
  private readonly file: FileHandle;
  private readonly pages: PageReader;

  private constructor(file: FileHandle, meta: BoltMeta, length: number) {
    this.file = file;
    this.meta = meta;
    this.size = meta.pgid * meta.pageSize;
    this.pages = new PageReader(file, meta.pageSize, length, meta.pgid);
  }

  /** Opens `path` and selects its meta. Throws {@link SnapshotCorruptError} if neither meta is valid. */
  static async open(path: string, options: BoltOpenOptions = {}): Promise<BoltReader> {
    const file = await open(path, 'r');
    try {
      const length = options.length ?? (await file.stat()).size;
      const meta = await readMeta(file, length);
      if (meta.pgid * meta.pageSize > length) {
        throw new SnapshotCorruptError('truncated', `meta says ${String(meta.pgid)} pages of ${String(meta.pageSize)} bytes, file holds ${String(length)} bytes`);
      }
      return new BoltReader(file, meta, length);
    } catch (err) {
      await file.close();
      throw err;
    }
  }

  /** Closes the file. */
  async close(): Promise<void> {
    await this.file.close();
  }

  /**
   * Yields the top-level buckets in name order.
   * @param visited - page ids seen so far (shared by {@link check}).
   * @yields {BoltBucket} each bucket, decoded from its value in the root bucket.
   */
  async *buckets(visited?: Set<number>): AsyncGenerator<BoltBucket> {
    const root: BoltBucket = { name: new Uint8Array(0), root: this.meta.root, sequence: this.meta.sequence, inline: null };
    for await (const e of this.entries(root, visited)) {
      if (!e.isBucket) throw new SnapshotCorruptError('element', 'the root bucket holds a plain key/value');
      yield this.openBucket(e.key, e.value);
    }
  }

  /** Finds a top-level bucket by name. */
  async bucket(name: string | Uint8Array): Promise<BoltBucket | undefined> {
    const want = typeof name === 'string' ? new TextEncoder().encode(name) : name;
    for await (const b of this.buckets()) if (compareBytes(b.name, want) === 0) return b;
    return undefined;
  }

  /** Decodes a bucket value (16-byte header, plus the page of an inline bucket). */
  openBucket(name: Uint8Array, value: Uint8Array): BoltBucket {
    if (value.length < BUCKET_HEADER_SIZE) throw new SnapshotCorruptError('element', `bucket value of ${JSON.stringify(new TextDecoder().decode(name))} is ${String(value.length)} bytes`);
    const dv = new DataView(value.buffer, value.byteOffset, BUCKET_HEADER_SIZE);
    const root = dv.getBigUint64(0, true);
    if (root > BigInt(Number.MAX_SAFE_INTEGER)) throw new SnapshotCorruptError('page', `bucket root page ${String(root)} is out of range`);
    const inline = root === 0n ? value.subarray(BUCKET_HEADER_SIZE) : null;
    if (inline !== null && inline.length < PAGE_HEADER_SIZE) throw new SnapshotCorruptError('element', 'inline bucket page is shorter than a page header');
    return { name, root: Number(root), sequence: dv.getBigUint64(8, true), inline };
  }

  /**
   * Yields `bucket`'s pairs in key order. `visited` (shared by {@link check}) collects page ids and
   * refuses a page reached twice; by default each call uses its own set.
   * @param bucket - the bucket to walk.
   * @param visited - page ids seen so far.
   * @yields {BoltReadEntry} each key/value pair, keys strictly ascending.
   */
  async *entries(bucket: BoltBucket, visited: Set<number> = new Set()): AsyncGenerator<BoltReadEntry> {
    for await (const batch of this.entryBatches(bucket, visited)) yield* batch;
  }

  /**
   * Like {@link entries}, one array per leaf page: far fewer async steps for a full scan. Keys and
   * values are views into a buffer the reader never reuses (keeping one keeps its 1 MiB read
   * window alive; copy what you keep for long).
   * @param bucket - the bucket to walk.
   * @param visited - page ids seen so far.
   * @yields {BoltReadEntry[]} the pairs of one leaf page, keys strictly ascending across batches.
   */
  async *entryBatches(bucket: BoltBucket, visited: Set<number> = new Set()): AsyncGenerator<BoltReadEntry[]> {
    const order: { last: Uint8Array | null } = { last: null };
    if (bucket.inline !== null) {
      const page: Page = { pgid: 0, header: readPageHeader(bucket.inline), buf: bucket.inline };
      if (page.header.flags !== PageFlag.LEAF) throw new SnapshotCorruptError('page', 'inline bucket page is not a leaf page');
      yield leafEntries(page, order);
      return;
    }
    for await (const page of this.leafPages(bucket.root, visited)) yield leafEntries(page, order);
  }

  /**
   * Depth-first walk from `root` in key order (an explicit stack, no recursion).
   * @param root - the bucket's root page.
   * @param visited - page ids seen so far.
   * @yields {Page} each leaf page.
   */
  private async *leafPages(root: number, visited: Set<number>): AsyncGenerator<Page> {
    const stack: { children: number[]; next: number }[] = [{ children: [root], next: 0 }];
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (top.next === top.children.length) {
        stack.pop();
        continue;
      }
      const pgid = top.children[top.next++]!;
      if (stack.length > MAX_DEPTH) throw new SnapshotCorruptError('page', `tree deeper than ${String(MAX_DEPTH)} levels at page ${String(pgid)}`);
      const page = await this.pages.page(pgid, stack.length === 1 ? 'bucket root' : 'child');
      markVisited(visited, pgid, page.header.overflow);
      if (expectNode(page, `page ${String(pgid)}`) === 'leaf') yield page;
      else stack.push({ children: branchChildren(page), next: 0 });
    }
  }

  /**
   * Walks every bucket (nested ones too) and the freelist, as bbolt's `tx.Check` does: no page is
   * reached twice or both reached and free, and — when the freelist is on disk — every page below
   * the high-water mark is reached or free. Resolves when the file is sound.
   */
  async check(): Promise<void> {
    const visited = this.newVisited();
    for await (const b of this.buckets(visited)) await this.checkBucket(b, visited);
    await this.checkFreePages(visited);
  }

  /** A page set for a checked walk: the two meta pages are in use from the start. */
  newVisited(): Set<number> {
    return new Set([0, 1]);
  }

  /** Walks `bucket` and its nested buckets, adding their pages to `visited` (part of {@link check}). */
  async checkBucket(bucket: BoltBucket, visited: Set<number>): Promise<void> {
    for await (const batch of this.entryBatches(bucket, visited)) {
      for (const e of batch) if (e.isBucket) await this.checkBucket(this.openBucket(e.key, e.value), visited);
    }
  }

  /**
   * The last step of {@link check}, after every bucket was walked into `visited`: the freelist's
   * pages must not be reachable, and (when the freelist is on disk) every page must be one or the other.
   */
  async checkFreePages(visited: Set<number>): Promise<void> {
    if (this.meta.freelist === null) return;
    const free = await this.freePages(visited);
    for (let id = 2; id < this.meta.pgid; id++) {
      if (!visited.has(id) && !free.has(id)) throw new SnapshotCorruptError('page', `page ${String(id)}: unreachable unfreed`);
    }
  }

  private async freePages(visited: Set<number>): Promise<Set<number>> {
    const pgid = this.meta.freelist!;
    const page = await this.pages.page(pgid, 'freelist');
    if (page.header.flags !== PageFlag.FREELIST) throw new SnapshotCorruptError('page', `freelist page ${String(pgid)} has flags 0x${page.header.flags.toString(16)}`);
    markVisited(visited, pgid, page.header.overflow);
    const dv = new DataView(page.buf.buffer, page.buf.byteOffset, page.buf.byteLength);
    let count = page.header.count;
    let off = PAGE_HEADER_SIZE;
    if (count === 0xffff) {
      count = Number(dv.getBigUint64(off, true));
      off += 8;
    }
    if (off + count * 8 > page.buf.length) throw new SnapshotCorruptError('element', `freelist page ${String(pgid)} lists more ids than it holds`);
    const free = new Set<number>();
    for (let i = 0; i < count; i++) {
      const id = Number(dv.getBigUint64(off + 8 * i, true));
      if (id < 2 || id >= this.meta.pgid) throw new SnapshotCorruptError('page', `freelist names page ${String(id)}, outside 2..${String(this.meta.pgid - 1)}`);
      if (visited.has(id)) throw new SnapshotCorruptError('page', `page ${String(id)}: both reachable and freed`);
      free.add(id);
    }
    return free;
  }
}

function markVisited(visited: Set<number>, pgid: number, overflow: number): void {
  for (let i = 0; i <= overflow; i++) {
    if (visited.has(pgid + i)) throw new SnapshotCorruptError('page', `page ${String(pgid + i)}: multiple references`);
    visited.add(pgid + i);
  }
}

function leafEntries(page: Page, order: { last: Uint8Array | null }): BoltReadEntry[] {
  const out: BoltReadEntry[] = [];
  for (const e of leafElements(page)) {
    if (order.last !== null && compareBytes(order.last, e.key) >= 0) {
      throw new SnapshotCorruptError('order', `page ${String(page.pgid)}: key ${String(out.length)} is not greater than the key before it`);
    }
    order.last = e.key;
    out.push({ key: e.key, value: e.value, isBucket: (e.flags & BUCKET_LEAF_FLAG) !== 0 });
  }
  return out;
}

async function readMeta(file: FileHandle, length: number): Promise<BoltMeta> {
  const head = new Uint8Array(Math.min(length, DEFAULT_PAGE_SIZE));
  await file.read(head, 0, head.length, 0);
  const m0 = decodeMeta(head);
  const pageSize = typeof m0 === 'string' ? DEFAULT_PAGE_SIZE : m0.pageSize;
  const second = new Uint8Array(Math.max(0, Math.min(length - pageSize, 80)));
  if (second.length > 0) await file.read(second, 0, second.length, pageSize);
  const m1 = decodeMeta(second);
  const valid = [m0, m1].filter((m): m is BoltMeta => typeof m !== 'string' && m.pageSize === pageSize);
  valid.sort((a, b) => (a.txid === b.txid ? 0 : a.txid > b.txid ? -1 : 1));
  const best = valid[0];
  if (best === undefined) throw new SnapshotCorruptError('meta', `no valid meta page (page 0: ${describe(m0)}; page 1: ${describe(m1)})`);
  return best;
}

function describe(m: BoltMeta | string): string {
  return typeof m === 'string' ? m : 'valid';
}
