import { fieldSize, type HeaderField } from './header-field.js';

/**
 * HPACK's dynamic table (RFC 7541 §2.3.2, §4): newest entry first, evicting the oldest entries
 * while the sum of entry sizes exceeds the maximum size.
 *
 * Invariant: `size` is the sum of {@link fieldSize} over the entries and `size <= maxSize`.
 */
export class DynamicTable {
  /** Oldest first, so adding is a push and evicting a shift. */
  private readonly entries: HeaderField[] = [];
  private bytes = 0;
  private max: number;

  /** @param maxSize - the initial maximum size in octets (4096 by HTTP/2's default). */
  constructor(maxSize = 4096) {
    this.max = maxSize;
  }

  /** The number of entries. */
  get length(): number {
    return this.entries.length;
  }

  /** The current size in octets. */
  get size(): number {
    return this.bytes;
  }

  /** The maximum size in octets. */
  get maxSize(): number {
    return this.max;
  }

  /**
   * The entry at dynamic index `i` (1 = newest), or `undefined` past the end.
   * @param i - the 1-based dynamic index.
   * @returns the entry.
   */
  get(i: number): HeaderField | undefined {
    return this.entries[this.entries.length - i];
  }

  /**
   * Adds a field as the newest entry, evicting as needed; a field larger than the maximum size
   * empties the table (RFC 7541 §4.4).
   * @param field - the field to add.
   */
  add(field: HeaderField): void {
    const size = fieldSize(field);
    this.evictTo(this.max - size);
    if (size <= this.max) {
      this.entries.push(field.neverIndex === true ? { name: field.name, value: field.value } : field);
      this.bytes += size;
    }
  }

  /**
   * Changes the maximum size, evicting entries that no longer fit (RFC 7541 §4.3).
   * @param maxSize - the new maximum size in octets.
   */
  setMaxSize(maxSize: number): void {
    this.max = maxSize;
    this.evictTo(maxSize);
  }

  private evictTo(limit: number): void {
    while (this.bytes > Math.max(limit, 0) && this.entries.length > 0) {
      const old = this.entries.shift();
      if (old !== undefined) this.bytes -= fieldSize(old);
    }
  }
}
