/**
 * Bounds-checked page access for the bbolt reader: reads through a 1 MiB read-ahead window (pages
 * written by {@link writeBoltFile} are laid out in walk order, so a sequential walk costs one read
 * per window) and refuses any page outside the file or the meta's high-water mark.
 * @module
 */
import type { FileHandle } from 'node:fs/promises';
import { SnapshotCorruptError } from './errors.js';
import { ELEMENT_SIZE, PAGE_HEADER_SIZE, PageFlag, readPageHeader } from './format.js';
import type { PageHeader } from './format.js';

const WINDOW = 1 << 20;

/** A page read from the file: its header and all its bytes (overflow pages included). */
export interface Page {
  /** Page id (for error messages; 0 for an inline bucket's page). */
  readonly pgid: number;
  /** The decoded header. */
  readonly header: PageHeader;
  /** The page's bytes, starting at its header. */
  readonly buf: Uint8Array;
}

/** Reads pages of one file, checking each against the file size and the high-water mark. */
export class PageReader {
  private window: { start: number; buf: Uint8Array } = { start: 0, buf: new Uint8Array(0) };
  private readonly file: FileHandle;
  /** Bytes per page. */
  readonly pageSize: number;
  /** Bytes of the file that belong to the database. */
  readonly size: number;
  /** The meta's high-water mark (pages in use). */
  readonly pgid: number;

  /**
   * @param file - the open file.
   * @param pageSize - bytes per page.
   * @param size - bytes of the file that belong to the database.
   * @param pgid - the meta's high-water mark.
   */
  constructor(file: FileHandle, pageSize: number, size: number, pgid: number) {
    this.file = file;
    this.pageSize = pageSize;
    this.size = size;
    this.pgid = pgid;
  }

  /** Reads `len` bytes at `off`, from the window when it holds them. */
  async bytes(off: number, len: number): Promise<Uint8Array> {
    const w = this.window;
    if (off >= w.start && off + len <= w.start + w.buf.length) return w.buf.subarray(off - w.start, off - w.start + len);
    const want = Math.min(Math.max(len, WINDOW), this.size - off);
    if (want < len) throw new SnapshotCorruptError('truncated', `need ${String(len)} bytes at offset ${String(off)}, file holds ${String(this.size)}`);
    const buf = new Uint8Array(want);
    const { bytesRead } = await this.file.read(buf, 0, want, off);
    if (bytesRead < len) throw new SnapshotCorruptError('truncated', `short read at offset ${String(off)}`);
    this.window = { start: off, buf: buf.subarray(0, bytesRead) };
    return buf.subarray(0, len);
  }

  /** Reads page `pgid` with its overflow pages; `what` names the expected use in errors. */
  async page(pgid: number, what: string): Promise<Page> {
    if (pgid < 2 || pgid >= this.pgid) throw new SnapshotCorruptError('page', `${what} page ${String(pgid)} is outside 2..${String(this.pgid - 1)}`);
    const off = pgid * this.pageSize;
    const header = readPageHeader(await this.bytes(off, PAGE_HEADER_SIZE));
    if (header.id !== BigInt(pgid)) throw new SnapshotCorruptError('page', `${what} page ${String(pgid)} claims id ${String(header.id)}`);
    if (pgid + header.overflow + 1 > this.pgid) throw new SnapshotCorruptError('page', `page ${String(pgid)} overflows past the high-water mark`);
    const buf = await this.bytes(off, (header.overflow + 1) * this.pageSize);
    return { pgid, header, buf };
  }
}

/** One element of a leaf page. */
export interface LeafElement {
  /** Element flags (0x01 = bucket). */
  readonly flags: number;
  /** The key (a view into the page). */
  readonly key: Uint8Array;
  /** The value (a view into the page). */
  readonly value: Uint8Array;
}

function outside(page: Page, i: number, kind: string, what: string): SnapshotCorruptError {
  return new SnapshotCorruptError('element', `page ${String(page.pgid)}: ${kind} element ${String(i)} ${what}`);
}

/** Decodes the leaf elements of `page`, checking each lies inside the page (one DataView per page). */
export function leafElements(page: Page): LeafElement[] {
  const { buf } = page;
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: LeafElement[] = [];
  for (let i = 0; i < page.header.count; i++) {
    const el = PAGE_HEADER_SIZE + ELEMENT_SIZE * i;
    if (el + ELEMENT_SIZE > buf.length) throw outside(page, i, 'leaf', 'lies past the page');
    const start = el + dv.getUint32(el + 4, true);
    const ksize = dv.getUint32(el + 8, true);
    const end = start + ksize + dv.getUint32(el + 12, true);
    if (end > buf.length) throw outside(page, i, 'leaf', 'reaches past the page');
    out.push({ flags: dv.getUint32(el, true), key: buf.subarray(start, start + ksize), value: buf.subarray(start + ksize, end) });
  }
  return out;
}

/** The child page ids of branch `page`, checking each element lies inside the page. */
export function branchChildren(page: Page): number[] {
  const { buf } = page;
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: number[] = [];
  for (let i = 0; i < page.header.count; i++) {
    const el = PAGE_HEADER_SIZE + ELEMENT_SIZE * i;
    if (el + ELEMENT_SIZE > buf.length) throw outside(page, i, 'branch', 'lies past the page');
    if (el + dv.getUint32(el, true) + dv.getUint32(el + 4, true) > buf.length) throw outside(page, i, 'branch', 'reaches past the page');
    const child = dv.getBigUint64(el + 8, true);
    if (child > BigInt(Number.MAX_SAFE_INTEGER)) throw new SnapshotCorruptError('page', `page ${String(page.pgid)}: branch element ${String(i)} points at page ${String(child)}`);
    out.push(Number(child));
  }
  return out;
}

/** Throws unless `page` is a branch or leaf page. */
export function expectNode(page: Page, what: string): 'leaf' | 'branch' {
  if (page.header.flags === PageFlag.LEAF) return 'leaf';
  if (page.header.flags === PageFlag.BRANCH) {
    if (page.header.count === 0) throw new SnapshotCorruptError('page', `${what}: branch page ${String(page.pgid)} is empty`);
    return 'branch';
  }
  throw new SnapshotCorruptError('page', `${what}: page ${String(page.pgid)} has flags 0x${page.header.flags.toString(16)}, expected a branch or leaf page`);
}
