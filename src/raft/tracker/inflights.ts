/** The capacity the ring buffer starts with once something is added; it doubles up to `size`. */
const INITIAL_CAPACITY = 8;

/** The shared zero-length buffer of a window that has never held a message. */
const EMPTY = new Float64Array(0);

/**
 * The sliding window of append messages in flight to one follower (etcd's
 * `tracker.Inflights`): a ring buffer of (last entry index, payload bytes) pairs, bounded
 * by a message count (`size`) and by total bytes (`maxBytes`).
 *
 * The leader adds the last index of each append it sends and frees everything up to an
 * index when the follower acknowledges it. Storage is two typed arrays that grow lazily
 * (most followers never fill the window) and are reused after {@link Inflights.reset};
 * `add` and `freeLE` allocate nothing unless the buffer grows.
 *
 * Invariant: `count() <= size`, and the stored indexes increase from oldest to newest.
 */
export class Inflights {
  /** The maximum number of messages in flight. */
  readonly size: number;
  /** The maximum total payload bytes in flight; `Infinity` (or 0, as in etcd) means no byte limit. */
  readonly maxBytes: number;

  private start = 0;
  private n = 0;
  private totalBytes = 0;
  private indexes: Float64Array;
  private sizes: Float64Array;

  /**
   * @param size - the maximum number of messages in flight (0 means always full).
   * @param maxBytes - the maximum total bytes in flight; `Infinity` or 0 for no limit.
   */
  constructor(size: number, maxBytes: number) {
    this.size = size;
    this.maxBytes = maxBytes > 0 ? maxBytes : Infinity;
    this.indexes = EMPTY;
    this.sizes = EMPTY;
  }

  /** The total payload bytes of the messages in flight. */
  get bytes(): number {
    return this.totalBytes;
  }

  /**
   * Records an append message whose last entry is `index` and whose payload is `bytes`.
   * `index` must be larger than every index already in flight.
   *
   * @throws RangeError when the window is {@link Inflights.full} (a caller bug: check `full()` first).
   */
  add(index: number, bytes: number): void {
    if (this.full()) throw new RangeError(`cannot add index ${index} into a full inflights window`);
    let next = this.start + this.n;
    if (next >= this.size) next -= this.size;
    if (next >= this.indexes.length) this.grow();
    this.indexes[next] = index;
    this.sizes[next] = bytes;
    this.n++;
    this.totalBytes += bytes;
  }

  /**
   * Frees every message whose index is `<= to` (the follower acknowledged up to `to`).
   * Messages are freed from the oldest; a stale `to` below the oldest index does nothing.
   */
  freeLE(to: number): void {
    if (this.n === 0 || to < this.indexes[this.start]!) return;
    let idx = this.start;
    let i = 0;
    let freed = 0;
    for (; i < this.n; i++) {
      if (to < this.indexes[idx]!) break;
      freed += this.sizes[idx]!;
      if (++idx >= this.size) idx -= this.size;
    }
    this.n -= i;
    this.totalBytes -= freed;
    // An empty window restarts at slot 0, which keeps a lightly used buffer small.
    this.start = this.n === 0 ? 0 : idx;
  }

  /** Whether no more messages may be sent: the count or the byte limit is reached. */
  full(): boolean {
    return this.n >= this.size || this.totalBytes >= this.maxBytes;
  }

  /** The number of messages in flight. */
  count(): number {
    return this.n;
  }

  /** Frees everything; the buffer is kept for reuse. */
  reset(): void {
    this.start = 0;
    this.n = 0;
    this.totalBytes = 0;
  }

  /** A deep copy with its own buffer. */
  clone(): Inflights {
    const c = new Inflights(this.size, this.maxBytes);
    c.start = this.start;
    c.n = this.n;
    c.totalBytes = this.totalBytes;
    c.indexes = this.indexes.slice();
    c.sizes = this.sizes.slice();
    return c;
  }

  /** The (index, bytes) pairs in flight, oldest first; for tests and debugging. */
  entries(): Array<{ index: number; bytes: number }> {
    const out: Array<{ index: number; bytes: number }> = [];
    let idx = this.start;
    for (let i = 0; i < this.n; i++) {
      out.push({ index: this.indexes[idx]!, bytes: this.sizes[idx]! });
      if (++idx >= this.size) idx -= this.size;
    }
    return out;
  }

  /**
   * Doubles the buffer (capped at `size`). Only called when appending past the end of the
   * buffer without wrapping, so slot positions stay valid in the bigger buffer.
   */
  private grow(): void {
    const cap = Math.min(Math.max(this.indexes.length * 2, INITIAL_CAPACITY), this.size);
    const indexes = new Float64Array(cap);
    const sizes = new Float64Array(cap);
    indexes.set(this.indexes);
    sizes.set(this.sizes);
    this.indexes = indexes;
    this.sizes = sizes;
  }
}
