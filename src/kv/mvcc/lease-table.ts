/** etcd's largest lease TTL in seconds (`lease.MaxLeaseTTL`). */
export const MAX_LEASE_TTL = 9_000_000_000;

/** A lease as the state machine holds it. */
export interface Lease {
  /** The lease id (never 0n). */
  readonly id: bigint;
  /** The granted TTL in seconds. */
  ttl: number;
  /** The remaining TTL recorded by the latest checkpoint in seconds (0 = none recorded). */
  remainingTtl: number;
  /** The keys attached (binary strings). */
  readonly keys: Set<string>;
}

/**
 * The replicated lease table (etcd's lessor state without its clocks): which leases exist,
 * their TTLs and the keys attached to each. Expiry is not decided here: the leader proposes a
 * revoke when a lease runs out, so every member deletes the same keys at the same revision.
 */
export class LeaseTable {
  private readonly leases = new Map<bigint, Lease>();
  private readonly byKey = new Map<string, bigint>();
  /** Ids of leases added, changed or removed since the last {@link LeaseTable.drainTouched} (what to persist). */
  private touched = new Set<bigint>();

  /** The ids of leases added, changed or removed since the last call, and forgets them. */
  drainTouched(): bigint[] {
    if (this.touched.size === 0) return [];
    const out = [...this.touched];
    this.touched = new Set();
    return out;
  }

  /** Records a checkpoint of a lease's remaining TTL (ignored for an unknown lease). */
  checkpoint(id: bigint, remainingTtl: number): void {
    const l = this.leases.get(id);
    if (l === undefined) return;
    l.remainingTtl = remainingTtl;
    this.touched.add(id);
  }

  /** The number of leases. */
  get size(): number {
    return this.leases.size;
  }

  /** The lease `id`, if it exists. */
  get(id: bigint): Lease | undefined {
    return this.leases.get(id);
  }

  /** Every lease, in id order. */
  list(): Lease[] {
    return [...this.leases.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** Adds a lease (the caller has checked that `id` is free and non-zero). */
  add(id: bigint, ttl: number, remainingTtl = 0): Lease {
    const l: Lease = { id, ttl, remainingTtl, keys: new Set() };
    this.leases.set(id, l);
    this.touched.add(id);
    return l;
  }

  /** Removes a lease and forgets its keys' attachment (the keys themselves are deleted by the caller). */
  remove(id: bigint): void {
    const l = this.leases.get(id);
    if (l === undefined) return;
    for (const k of l.keys) this.byKey.delete(k);
    this.leases.delete(id);
    this.touched.add(id);
  }

  /** The lease `key` is attached to, or 0n. */
  leaseOf(key: string): bigint {
    return this.byKey.get(key) ?? 0n;
  }

  /** Attaches `key` to lease `id` (detaching it from any other first); 0n only detaches. */
  attach(key: string, id: bigint): void {
    const old = this.byKey.get(key);
    if (old !== undefined) {
      this.leases.get(old)?.keys.delete(key);
      this.byKey.delete(key);
    }
    if (id === 0n) return;
    const l = this.leases.get(id);
    if (l === undefined) return;
    l.keys.add(key);
    this.byKey.set(key, id);
  }

  /** Removes every lease. */
  clear(): void {
    this.leases.clear();
    this.byKey.clear();
    this.touched = new Set();
  }
}
