import type { KvClient } from './kv-client.js';
import type { Lease } from './mvcc/lease-table.js';
import type { LeaseGrantResponse, LeaseRevokeResponse } from './types.js';

/** A random positive int64 lease id (etcd's ids are positive int64s). */
function randomLeaseId(): bigint {
  const b = globalThis.crypto.getRandomValues(new BigUint64Array(1))[0]!;
  const id = BigInt.asUintN(63, b);
  return id === 0n ? 1n : id;
}

/**
 * Lease operations of a {@link KvClient} that go through Raft: grant, revoke and checkpoint,
 * plus reads of the replicated lease table. Expiry is decided by the leader and proposed as a
 * revoke, so every member deletes the same keys at the same revision.
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
  grant(ttl: number, options: { id?: bigint } = {}): Promise<LeaseGrantResponse> {
    const id = options.id === undefined || options.id === 0n ? randomLeaseId() : options.id;
    return this.kv.propose({ op: 'leaseGrant', id, ttl });
  }

  /** Revokes a lease, deleting its keys at one revision. Rejects with `LeaseNotFoundError`. */
  revoke(id: bigint): Promise<LeaseRevokeResponse> {
    return this.kv.propose({ op: 'leaseRevoke', id });
  }

  /** Records leases' remaining TTLs (etcd's lease checkpoints, proposed by the leader). */
  async checkpoint(checkpoints: { id: bigint; remainingTtl: number }[]): Promise<void> {
    await this.kv.propose({ op: 'leaseCheckpoint', checkpoints });
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
