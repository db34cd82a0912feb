/**
 * A Map for entries that come and go under load (requests waiting, records queued), which keeps
 * V8 from promoting the entries it has let go of.
 *
 * V8 keeps a Map's entries in a hash table that it replaces by a new one every so often as
 * entries are added and deleted. It allocates the new table in the old generation when the table
 * it replaces is there, and a full collection moves every live table there. A replaced table is
 * garbage, but it stays in memory until the next full collection and still points to the
 * entries it held, and a scavenge cannot tell that it is garbage: every entry that a replaced
 * old table held lives through the scavenges and is promoted with everything it reaches, though
 * it was deleted long before. So after the first full collection under load, a Map of in-flight
 * requests turns every request into old-generation garbage: under puts at 64 in flight, a
 * raftkit member promoted about five times as many bytes per scavenge as with young tables, and
 * its scavenges took about twice as long.
 *
 * A `ChurnMap` moves its entries to a new Map (whose table is young) once at least as many
 * entries were deleted since the last move as it holds, and at least `minTurnover`: a move
 * copies the entries held, so it costs one insertion per deletion at most. It moves only while
 * it holds at most `maxRenewSize` entries: a large map replaces its table rarely, and its
 * entries live long anyway. The move happens in {@link ChurnMap.set}, before the entry is
 * added: iterating while deleting sees every entry, as a Map's iteration would; entries added
 * while iterating may not be seen (do not add while iterating).
 *
 * Invariant: the entries, their order and `size` are those a `Map` given the same calls would
 * have.
 * @internal
 */
export class ChurnMap<K, V> implements Iterable<[K, V]> {
  #map = new Map<K, V>();
  #deleted = 0;
  #renewals = 0;
  readonly #minTurnover: number;
  readonly #maxRenewSize: number;

  /**
   * @param minTurnover - the fewest deletions between two moves (default 256).
   * @param maxRenewSize - the most entries a move copies (default 16,384: about a millisecond).
   */
  constructor(minTurnover = 256, maxRenewSize = 16_384) {
    this.#minTurnover = minTurnover;
    this.#maxRenewSize = maxRenewSize;
  }

  /** The number of entries. */
  get size(): number {
    return this.#map.size;
  }

  /** How many times the entries moved to a new Map (for tests and diagnostics). */
  get renewals(): number {
    return this.#renewals;
  }

  /** The value of `key`, or undefined. */
  get(key: K): V | undefined {
    return this.#map.get(key);
  }

  /** Whether `key` has an entry. */
  has(key: K): boolean {
    return this.#map.has(key);
  }

  /** Sets `key` to `value` (a new key goes last, as in a Map). */
  set(key: K, value: V): this {
    if (this.#deleted >= this.#minTurnover && this.#deleted >= this.#map.size) {
      this.#deleted = 0;
      if (this.#map.size <= this.#maxRenewSize) {
        this.#map = new Map(this.#map);
        this.#renewals++;
      }
    }
    this.#map.set(key, value);
    return this;
  }

  /** Deletes the entry of `key`; false when there was none. */
  delete(key: K): boolean {
    if (!this.#map.delete(key)) return false;
    this.#deleted++;
    return true;
  }

  /** Deletes every entry (the entries go with the old Map). */
  clear(): void {
    this.#map = new Map();
    this.#deleted = 0;
  }

  /** The keys, in insertion order. */
  keys(): MapIterator<K> {
    return this.#map.keys();
  }

  /** The values, in insertion order. */
  values(): MapIterator<V> {
    return this.#map.values();
  }

  /** The entries, in insertion order. */
  entries(): MapIterator<[K, V]> {
    return this.#map.entries();
  }

  /** The entries, in insertion order. */
  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.#map.entries();
  }
}
