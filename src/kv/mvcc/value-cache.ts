import type { KeyValue } from '../types.js';
import { ChurnMap } from '../../churn-map.js';

/**
 * What one cached key-value is counted as besides its key and value bytes: the objects around
 * them, measured in a member's heap snapshot (about 420 bytes per entry: the `KeyValue` object,
 * two `Uint8Array`s and the key's `ArrayBuffer`, the lease `bigint`, the revision key string and
 * the Map's slot).
 */
export const VALUE_CACHE_ENTRY_OVERHEAD = 400;

/**
 * The key-values of recently written and read revisions, in memory, so that a range of hot keys
 * reads no database (etcd serves the same reads from bbolt's memory-mapped pages and its read
 * buffer). A revision's record never changes once written, so an entry is valid until the store
 * is reset (a restore may reuse revisions for other records); the store deletes the entry of a
 * record once a later write of its key supersedes it, and entries of compacted revisions are
 * never asked for again and age out. Least recently used entries go first once the entries'
 * bytes (key, value and a fixed overhead each) exceed the budget.
 *
 * Invariant: `bytes` is the sum of the sizes of the entries held, and `bytes <= maxBytes` after
 * every call.
 */
export class ValueCache {
  readonly #maxBytes: number;
  /** By revision key (`main_sub`); the Map's order is the use order, least recent first. */
  readonly #entries = new ChurnMap<string, KeyValue>();
  #bytes = 0;

  /** @param maxBytes - the budget in bytes; 0 keeps nothing. */
  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /** The bytes held. */
  get bytes(): number {
    return this.#bytes;
  }

  /** The entries held. */
  get size(): number {
    return this.#entries.size;
  }

  /** The key-value at revision key `rev`, now the most recently used; undefined when not held. */
  get(rev: string): KeyValue | undefined {
    const kv = this.#entries.get(rev);
    if (kv !== undefined) {
      this.#entries.delete(rev);
      this.#entries.set(rev, kv);
    }
    return kv;
  }

  /** Holds `kv` as the record of revision key `rev`, evicting the least recently used entries over the budget. */
  set(rev: string, kv: KeyValue): void {
    const size = sizeOf(kv);
    if (size > this.#maxBytes) return;
    const old = this.#entries.get(rev);
    if (old !== undefined) {
      this.#entries.delete(rev);
      this.#bytes -= sizeOf(old);
    }
    this.#entries.set(rev, kv);
    this.#bytes += size;
    if (this.#bytes <= this.#maxBytes) return;
    for (const [k, v] of this.#entries) {
      this.#entries.delete(k);
      this.#bytes -= sizeOf(v);
      if (this.#bytes <= this.#maxBytes) break;
    }
  }

  /** Forgets the entry of revision key `rev`, if held. */
  delete(rev: string): void {
    const kv = this.#entries.get(rev);
    if (kv === undefined) return;
    this.#entries.delete(rev);
    this.#bytes -= sizeOf(kv);
  }

  /** Forgets everything. */
  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }
}

function sizeOf(kv: KeyValue): number {
  return kv.key.byteLength + kv.value.byteLength + VALUE_CACHE_ENTRY_OVERHEAD;
}
