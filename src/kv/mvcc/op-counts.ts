import type { KeyRange } from './bytes.js';
import type { RangeKeysOptions, RangeKeysResult, ReadView } from './store.js';

/**
 * The store operations a member has run, counted as etcd counts them for its
 * `etcd_mvcc_{range,put,delete,txn}_total` metrics: every range, put and delete called on a
 * store transaction (a read view or a write), on the member that runs it. Writes are applied on
 * every member, so each member counts them; a read counts on the member that serves it. A
 * transaction that runs more than one operation also counts as one txn: a put with `prevKv`
 * reads then writes, so it counts a range, a put and a txn, as in etcd.
 */
export class MvccOpCounts {
  /** Ranges (each compare of a txn is one). */
  ranges = 0;
  /** Puts. */
  puts = 0;
  /** Range deletes (a lease revoke runs one per attached key). */
  deletes = 0;
  /** Transactions that ran more than one operation. */
  txns = 0;
  /** The bytes of keys and values put (`etcd_debugging_mvcc_total_put_size_in_bytes`). */
  putBytes = 0;
  /** Leases granted (applied on every member, as etcd's lessor counts them). */
  leaseGrants = 0;
  /** Leases revoked, by a client or on expiry (applied on every member). */
  leaseRevokes = 0;
  /** Keep-alives applied while this member led (etcd counts renewals on the leader). */
  leaseRenewals = 0;
  /** Expired leases this member revoked as the leader. */
  leaseExpiries = 0;
  /** Revision records physical compaction deleted from the database (`etcd_debugging_mvcc_db_compaction_keys_total`). */
  compactedKeys = 0;

  /** Adds one store transaction's operations (a txn when it ran more than one). */
  add(ranges: number, puts: number, deletes: number, putBytes: number): void {
    if (ranges + puts + deletes > 1) this.txns++;
    this.ranges += ranges;
    this.puts += puts;
    this.deletes += deletes;
    this.putBytes += putBytes;
  }
}

/**
 * A read view whose ranges are counted (a txn's compares and reads, a read-only txn): one read
 * transaction of the store, added to the member's {@link MvccOpCounts} by {@link CountedView.end}.
 */
export class CountedView implements ReadView {
  /** The ranges read so far. */
  ranges = 0;
  readonly #view: ReadView;
  readonly #totals: MvccOpCounts;

  /**
   * @param view - the view read.
   * @param totals - the member's counts.
   */
  constructor(view: ReadView, totals: MvccOpCounts) {
    this.#view = view;
    this.#totals = totals;
  }

  /** The view's compacted revision. */
  get firstRev(): number {
    return this.#view.firstRev;
  }

  /** The view's revision. */
  get rev(): number {
    return this.#view.rev;
  }

  /** Reads a range of the view, counting it. */
  rangeKeys(range: KeyRange, ro: RangeKeysOptions): Promise<RangeKeysResult> {
    this.ranges++;
    return this.#view.rangeKeys(range, ro);
  }

  /** Ends the read transaction: adds its ranges to the member's counts (a txn when more than one); once. */
  end(): void {
    this.#totals.add(this.ranges, 0, 0, 0);
    this.ranges = 0;
  }
}
