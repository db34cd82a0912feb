import type { KvClient } from './kv-client.js';
import type { Lease } from './mvcc/lease-table.js';
import type { LeaseGrantResponse, LeaseRevokeResponse } from './types.js';
import { after } from '../replica/clock.js';
import { LeaseNotFoundError } from './errors.js';
import type { LeaseKeepAliveResponse, LeaseLeasesResponse, LeaseTimeToLiveResponse } from './lease/types.js';
import { fromKey } from './mvcc/bytes.js';
import { splitRequestOptions, type KvRequestOptions } from './request-options.js';

/** A random positive int64 lease id (etcd's ids are positive int64s). */
function randomLeaseId(): bigint {
  const b = globalThis.crypto.getRandomValues(new BigUint64Array(1))[0]!;
  const id = BigInt.asUintN(63, b);
  return id === 0n ? 1n : id;
}

/**
 * Lease operations of a {@link KvClient} that go through Raft: grant, revoke and checkpoint,
 * plus reads of the replicated lease table. Expiry is decided by the leader and proposed as a
 * revoke, so every member deletes the same keys at the same revision. Every call that goes
 * through Raft or a read barrier takes the {@link KvRequestOptions}.
 */
export class LeaseClient {
  private readonly kv: KvClient;

  /** @param kv - the client proposed through. */
  constructor(kv: KvClient) {
    this.kv = kv;
  }

  /**
   * Grants a lease of `ttl` seconds (raised to the minimum TTL); `id` 0n or none picks a random id.
   * Rejects with `LeaseExistsError` or `LeaseTtlTooLargeError`.
   */
  async grant(ttl: number, options: { id?: bigint } & KvRequestOptions = {}): Promise<LeaseGrantResponse> {
    const [rest, opts] = splitRequestOptions(options);
    const id = rest.id === undefined || rest.id === 0n ? randomLeaseId() : rest.id;
    await this.kv.alarms.checkQuota(0);
    return this.kv.propose({ op: 'leaseGrant', id, ttl }, opts);
  }

  /** Revokes a lease, deleting its keys at one revision. Rejects with `LeaseNotFoundError`. */
  revoke(id: bigint, options: KvRequestOptions = {}): Promise<LeaseRevokeResponse> {
    return this.kv.propose({ op: 'leaseRevoke', id }, splitRequestOptions(options)[1]);
  }

  /** Records leases' remaining TTLs (etcd's lease checkpoints, proposed by the leader). */
  async checkpoint(checkpoints: { id: bigint; remainingTtl: number }[], options: KvRequestOptions = {}): Promise<void> {
    await this.kv.propose({ op: 'leaseCheckpoint', checkpoints }, splitRequestOptions(options)[1]);
  }

  /**
   * Renews a lease once, from any member (the keep-alive goes through Raft, so every member
   * learns the renewal). Rejects with `LeaseNotFoundError` once the lease expired or was revoked.
   */
  keepAliveOnce(id: bigint, options: KvRequestOptions = {}): Promise<LeaseKeepAliveResponse> {
    return this.kv.propose({ op: 'leaseKeepAlive', id }, splitRequestOptions(options)[1]);
  }

  /**
   * Keeps a lease alive: renews it now and then every third of its TTL (as etcd's client does),
   * yielding each answer; ends when the lease is gone. Leave the loop to stop. `options` apply
   * to each renewal (a renewal that times out ends the loop with `TimeoutError`).
   *
   * @yields {LeaseKeepAliveResponse} each renewal's answer.
   */
  async *keepAlive(id: bigint, options: KvRequestOptions = {}): AsyncGenerator<LeaseKeepAliveResponse> {
    const opts = splitRequestOptions(options)[1];
    for (;;) {
      let r: LeaseKeepAliveResponse;
      try {
        r = await this.keepAliveOnce(id, opts);
      } catch (err) {
        if (err instanceof LeaseNotFoundError) return;
        throw err;
      }
      yield r;
      await new Promise<void>((resolve) => after(this.kv.lessor.clock, Math.max(1, (r.ttl * 1000) / 3), resolve));
    }
  }

  /**
   * The remaining TTL of a lease as this member estimates it (after a read barrier), its
   * granted TTL and, with `keys`, its keys. A lease that does not exist answers `ttl: -1`
   * (as etcd does).
   */
  async timeToLive(id: bigint, options: { keys?: boolean } & KvRequestOptions = {}): Promise<LeaseTimeToLiveResponse> {
    const [rest, opts] = splitRequestOptions(options);
    await this.kv.readBarrier(opts);
    const header = this.kv.header(this.kv.stateMachine.store.visibleRev);
    const l = this.get(id);
    const left = this.kv.lessor.remainingMs(id);
    if (l === undefined || left === undefined) return { header, id, ttl: -1, grantedTtl: 0, keys: [] };
    const keys = rest.keys === true ? [...l.keys].sort().map(fromKey) : [];
    return { header, id, ttl: Math.floor(left / 1000), grantedTtl: l.ttl, keys };
  }

  /** Every lease (after a read barrier), the one that expires first first, as etcd orders them (its `LeaseLeases`); ties in id order. */
  async leases(options: KvRequestOptions = {}): Promise<LeaseLeasesResponse> {
    await this.kv.readBarrier(splitRequestOptions(options)[1]);
    return { header: this.kv.header(this.kv.stateMachine.store.visibleRev), leases: this.listByExpiry().map((l) => ({ id: l.id })) };
  }

  /** The leases this member knows (its local, applied state), the one that expires first first, as etcd lists them; ties in id order. */
  listByExpiry(): Lease[] {
    const all = this.list(); // in id order: the stable sort keeps it among equals
    const left = new Map<bigint, number>();
    for (const l of all) left.set(l.id, this.kv.lessor.remainingMs(l.id) ?? Number.MAX_VALUE);
    return all.sort((a, b) => left.get(a.id)! - left.get(b.id)!);
  }

  /** The leases this member knows, in id order (its local, applied state). */
  list(): Lease[] {
    return this.kv.stateMachine.store.leases.list();
  }

  /** The lease `id` as this member knows it, if any (TTL, checkpointed remaining TTL, keys). */
  get(id: bigint): Lease | undefined {
    return this.kv.stateMachine.store.leases.get(id);
  }
}
