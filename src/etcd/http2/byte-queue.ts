/**
 * A FIFO of received octets kept as the chunks they arrived in, so that bytes trickling in one
 * at a time cost no re-copying: chunks are joined only when a caller needs a longer contiguous run.
 */
export class ByteQueue {
  private chunks: Buffer[] = [];
  private bytes = 0;

  /** The number of queued octets. */
  get length(): number {
    return this.bytes;
  }

  /**
   * Appends a chunk.
   * @param chunk - the octets.
   */
  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.bytes += chunk.length;
  }

  /**
   * The first `n` octets as one buffer, without removing them.
   * @param n - at most {@link ByteQueue.length}.
   * @returns a view of the first `n` octets.
   */
  peek(n: number): Buffer {
    const first = this.chunks[0];
    if (first !== undefined && first.length >= n) return first.subarray(0, n);
    let have = 0;
    let k = 0;
    while (have < n && k < this.chunks.length) have += this.chunks[k++]?.length ?? 0;
    const joined = Buffer.concat(this.chunks.slice(0, k));
    this.chunks.splice(0, k, joined);
    return joined.subarray(0, n);
  }

  /**
   * Removes and returns the first `n` octets.
   * @param n - at most {@link ByteQueue.length}.
   * @returns the octets.
   */
  take(n: number): Buffer {
    const out = this.peek(n);
    this.skip(n);
    return out;
  }

  /**
   * Removes and returns up to `n` octets from the first chunk (for streaming bytes through).
   * @param n - the most octets wanted.
   * @returns between 1 and `n` octets, or none when empty.
   */
  takeSome(n: number): Buffer {
    const first = this.chunks[0];
    if (first === undefined) return Buffer.alloc(0);
    const out = first.subarray(0, Math.min(n, first.length));
    this.skip(out.length);
    return out;
  }

  /**
   * Removes and returns everything queued, as the chunks it is kept in.
   * @returns the chunks.
   */
  drain(): Buffer[] {
    const out = this.chunks;
    this.chunks = [];
    this.bytes = 0;
    return out;
  }

  private skip(n: number): void {
    this.bytes -= n;
    let left = n;
    while (left > 0) {
      const first = this.chunks[0];
      if (first === undefined) return;
      if (first.length <= left) {
        this.chunks.shift();
        left -= first.length;
      } else {
        this.chunks[0] = first.subarray(left);
        left = 0;
      }
    }
  }
}
