/**
 * Bottom-up bulk loading of one bbolt B+tree from keys that arrive in ascending order. Level 0
 * collects leaf items; when the next item would not fit in a page the pending items become a page
 * and its first key and id are pushed into level 1, and so on upwards. Memory is one pending page
 * per level. A single item larger than a page gets a page with overflow pages of its own.
 * @module
 */
import { PAGE_HEADER_SIZE } from './format.js';
import type { BranchItem, LeafItem } from './node-page.js';
import { branchItemSize, encodeBranchPage, encodeLeafPage, leafItemSize, pagesFor } from './node-page.js';
import type { PageSink } from './page-sink.js';

interface Level {
  items: (LeafItem | BranchItem)[];
  bytes: number;
  pagesWritten: number;
}

/** Builds one bucket's tree into a {@link PageSink}; `finish()` returns the root page id. */
export class TreeBuilder {
  private readonly levels: Level[] = [];
  private readonly sink: PageSink;

  /**
   * @param sink - where pages go.
   */
  constructor(sink: PageSink) {
    this.sink = sink;
  }

  /** Appends a leaf item; keys must arrive strictly ascending (the caller checks). */
  add(item: LeafItem): void {
    this.push(0, item, leafItemSize(item));
  }

  /** Writes the remaining partial pages and returns the root page id. Call at most once. */
  finish(): number {
    for (let depth = 0; ; depth++) {
      const level = this.levels[depth];
      if (level === undefined) throw new RangeError('TreeBuilder.finish: empty tree');
      const isTop = depth === this.levels.length - 1;
      if (isTop && level.pagesWritten === 0) return this.writePage(depth, level);
      if (level.items.length > 0) this.flushLevel(depth, level);
    }
  }

  private push(depth: number, item: LeafItem | BranchItem, size: number): void {
    let level = this.levels[depth];
    if (level === undefined) {
      level = { items: [], bytes: PAGE_HEADER_SIZE, pagesWritten: 0 };
      this.levels.push(level);
    }
    if (level.items.length > 0 && level.bytes + size > this.sink.pageSize) this.flushLevel(depth, level);
    level.items.push(item);
    level.bytes += size;
  }

  private flushLevel(depth: number, level: Level): void {
    const key = level.items[0]!.key;
    const pgid = this.writePage(depth, level);
    this.push(depth + 1, { key, pgid }, branchItemSize({ key, pgid }));
  }

  private writePage(depth: number, level: Level): number {
    const pages = pagesFor(level.bytes, this.sink.pageSize);
    const { pgid, buf } = this.sink.allocate(pages);
    if (depth === 0) encodeLeafPage(buf, pgid, level.items as LeafItem[], pages - 1);
    else encodeBranchPage(buf, pgid, level.items as BranchItem[], pages - 1);
    level.items = [];
    level.bytes = PAGE_HEADER_SIZE;
    level.pagesWritten++;
    return pgid;
  }
}
