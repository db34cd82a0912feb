import type { KeyValue } from '../types.js';
import type { KeyRange } from './bytes.js';
import { fromKey } from './bytes.js';
import type { Revision } from './revision.js';
import type { Change, MvccStore, RangeKeysOptions, RangeKeysResult, ReadView } from './store.js';
import { revKey } from './store.js';

const EMPTY = new Uint8Array(0);

/**
 * One write transaction (etcd's `storeTxnWrite`): every change gets the revision
 * `beginRev + 1` and the next `sub`; reads inside the txn see its earlier changes. The store
 * revision moves only if something was written, so a txn that writes nothing takes no revision.
 */
export class WriteTxn implements ReadView {
  /** The changes made so far, in order. */
  readonly changes: Change[] = [];
  /** The store's applied revision when the txn began. */
  readonly beginRev: number;
  private readonly store: MvccStore;
  // The txn's operations, added to the store's counts by `end` (fields, not an object: one allocation less per write).
  private ranges = 0;
  private puts = 0;
  private deletes = 0;
  private putBytes = 0;

  /** @param store - the store written. */
  constructor(store: MvccStore) {
    this.store = store;
    this.beginRev = store.rev;
  }

  /** The compacted revision. */
  get firstRev(): number {
    return this.store.compactRev;
  }

  /** The revision reads inside the txn see: `beginRev`, or `beginRev + 1` once something was written. */
  get rev(): number {
    return this.changes.length > 0 ? this.beginRev + 1 : this.beginRev;
  }

  /** Reads a range, seeing this txn's earlier changes. */
  rangeKeys(range: KeyRange, ro: RangeKeysOptions): Promise<RangeKeysResult> {
    this.ranges++;
    return this.store.rangeKeys(range, this.rev, ro);
  }

  private nextRev(): Revision {
    return { main: this.beginRev + 1, sub: this.changes.length };
  }

  /**
   * Writes `key` (binary string); returns the revision written (etcd's `Put`). `keyBytes` are the
   * key's bytes (never modified afterwards, as `value`'s): the record holds them instead of a copy
   * made from `key`. The record lives on in the value cache until a later write
   * of its key supersedes it, and a copy costs a typed array and its buffer in the young
   * generation per put, often copied by the next scavenge.
   */
  put(key: string, value: Uint8Array, lease: bigint, keyBytes: Uint8Array): number {
    this.puts++;
    this.putBytes += keyBytes.length + value.length;
    const rev = this.nextRev();
    const ki = this.store.index.get(key);
    const at = ki?.get(rev.main);
    const kv: KeyValue = {
      key: keyBytes,
      createRevision: at === undefined ? rev.main : at.created.main,
      modRevision: rev.main,
      version: (at?.version ?? 0) + 1,
      value,
      lease,
    };
    (ki ?? this.store.index.getOrCreate(key)).put(rev);
    this.record(rev, kv, false, at?.modified);
    this.store.leases.attach(key, lease);
    return rev.main;
  }

  /**
   * Deletes every key live in `range`; returns how many and the revision (etcd's
   * `DeleteRange`: the current one when nothing was deleted and nothing written before).
   */
  deleteRange(range: KeyRange): { deleted: number; rev: number } {
    this.deletes++;
    const keys = this.store.index.range(range, this.rev);
    for (const h of keys) {
      const rev = this.nextRev();
      this.store.index.get(h.key)!.tombstone(rev);
      this.record(rev, { key: fromKey(h.key), createRevision: 0, modRevision: rev.main, version: 0, value: EMPTY, lease: 0n }, true, h.modified);
      this.store.leases.attach(h.key, 0n);
    }
    return keys.length > 0 || this.changes.length > 0 ? { deleted: keys.length, rev: this.beginRev + 1 } : { deleted: 0, rev: this.beginRev };
  }

  private record(rev: Revision, kv: KeyValue, tombstone: boolean, prev: Revision | undefined): void {
    this.store.pending.set(revKey(rev), kv);
    if (prev !== undefined) this.store.supersede(prev);
    this.changes.push({ rev, kv, tombstone, prev });
  }

  /**
   * Ends the txn: raises the store's applied revision when something was written, adds its
   * operations to the store's counts; returns the changes.
   */
  end(): Change[] {
    this.store.ops.add(this.ranges, this.puts, this.deletes, this.putBytes);
    if (this.changes.length > 0) this.store.rev = this.beginRev + 1;
    return this.changes;
  }
}
