/**
 * Sequential page allocation and buffered writing for the bbolt writer: pages get consecutive ids
 * from 2 upwards and are appended to an in-memory run that is flushed to the file handle in large
 * writes, so memory stays bounded by {@link FLUSH_BYTES} whatever the file size.
 * @module
 */
import type { FileHandle } from 'node:fs/promises';

/** Buffered bytes after which {@link PageSink.needsFlush} turns true. */
export const FLUSH_BYTES = 1 << 20;

/** Allocates page ids in order and writes whole pages to a file. */
export class PageSink {
  /** The next page id to allocate (the high-water mark once writing ends). */
  nextPgid: number;
  private readonly chunks: Uint8Array[] = [];
  private pending = 0;
  private flushedUpTo: number;
  private readonly file: FileHandle;
  /** Bytes per page. */
  readonly pageSize: number;

  /**
   * @param file - the open file to write.
   * @param pageSize - bytes per page.
   * @param firstPgid - the first page id to hand out (pages below it are written separately).
   */
  constructor(file: FileHandle, pageSize: number, firstPgid: number) {
    this.file = file;
    this.pageSize = pageSize;
    this.nextPgid = firstPgid;
    this.flushedUpTo = firstPgid * pageSize;
  }

  /** Allocates `pages` consecutive pages and returns a zeroed buffer for them and the first id. */
  allocate(pages: number): { pgid: number; buf: Uint8Array } {
    const pgid = this.nextPgid;
    this.nextPgid += pages;
    const buf = new Uint8Array(pages * this.pageSize);
    this.chunks.push(buf);
    this.pending += buf.length;
    return { pgid, buf };
  }

  /** True when enough is buffered that the caller should `await flush()`. */
  get needsFlush(): boolean {
    return this.pending >= FLUSH_BYTES;
  }

  /** Writes all buffered pages at their offsets. */
  async flush(): Promise<void> {
    if (this.pending === 0) return;
    const chunks = this.chunks.splice(0);
    const bytes = this.pending;
    this.pending = 0;
    await this.file.writev(chunks, this.flushedUpTo);
    this.flushedUpTo += bytes;
  }
}
