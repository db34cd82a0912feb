import { StateType } from '../../raft/ready.js';
import { systemClock, type Cancel, type Clock } from '../../replica/clock.js';
import type { Replica } from '../../replica/replica.js';
import type { KvStateMachine } from '../kv-state-machine.js';

/** Options of a {@link Lessor}. */
export interface LessorOptions {
  /** How often the leader looks for expired leases, in ms. Default 500 (etcd's revoke loop). */
  checkIntervalMs?: number | undefined;
  /** The election timeout in ms, added to every lease when a member becomes leader. Default 1000. */
  electionMs?: number | undefined;
  /** The clock. Default the system clock. */
  clock?: Clock | undefined;
}

/**
 * Lease liveness on one member, after etcd's lessor (server/lease/lessor.go), with one
 * difference: keep-alives go through Raft (a replicated keep-alive command), so every member — not only the
 * leader — knows when each lease was last renewed and can answer `timeToLive`.
 *
 * - Each member keeps an expiry time per lease: the time it applied the grant or the latest
 *   keep-alive (or first saw the lease, after a restart or a snapshot) plus the TTL (after a
 *   snapshot, the remaining TTL it recorded, if any).
 * - Only the leader acts: every `checkIntervalMs` it proposes a revoke for each expired lease,
 *   so every member deletes the same keys at the same revision; a lease already revoked is
 *   refused by the state machine, so a lease expires exactly once even across leader changes.
 * - On becoming leader (etcd's `Promote`) a member extends every lease by an election timeout,
 *   so that no lease expires because leadership moved.
 */
export class Lessor {
  readonly #replica: Replica;
  readonly #revoke: (id: bigint) => Promise<unknown>;
  readonly #sm: KvStateMachine;
  /** The clock timers run on. */
  readonly clock: Clock;
  readonly #electionMs: number;
  readonly #expiry = new Map<bigint, number>();
  readonly #revoking = new Set<bigint>();
  #leading = false;
  #timer: Cancel | undefined;
  readonly #unsubscribe: () => void;

  /**
   * @param replica - the member.
   * @param sm - its KV state machine.
   * @param revoke - proposes a revoke (the lease client's).
   * @param options - timers.
   */
  constructor(replica: Replica, sm: KvStateMachine, revoke: (id: bigint) => Promise<unknown>, options: LessorOptions = {}) {
    this.#replica = replica;
    this.#revoke = revoke;
    this.#sm = sm;
    this.clock = options.clock ?? systemClock;
    this.#electionMs = options.electionMs ?? 1000;
    const unrenewed = sm.onLeaseRenewed((id, granted) => {
      this.#renew(id);
      // etcd counts the renewals its leader sees (keep-alives reach only the leader there).
      if (!granted && replica.currentLeader === replica.id) sm.store.ops.leaseRenewals++;
    });
    // A snapshot replaces the lease table: its leases are new to this member even where an id
    // is one it knew (a lease revoked and granted again while it was behind), so every expiry
    // starts over from the snapshot's (each lease's checkpointed remaining TTL, or its TTL).
    const unrestored = sm.onRestore((phase) => {
      if (phase === 'end') this.#expiry.clear();
    });
    this.#unsubscribe = () => {
      unrenewed();
      unrestored();
    };
    this.#timer = this.clock.every(options.checkIntervalMs ?? 500, () => this.#tick());
  }

  /** The remaining time to live of lease `id` in ms as this member estimates it, if it knows the lease. */
  remainingMs(id: bigint): number | undefined {
    this.#sync(this.clock.now());
    const at = this.#expiry.get(id);
    return at === undefined ? undefined : Math.max(0, at - this.clock.now());
  }

  /** Whether the lessor stopped (its member stopped). */
  get closed(): boolean {
    return this.#timer === undefined;
  }

  /** Stops the timer. */
  close(): void {
    this.#timer?.();
    this.#timer = undefined;
    this.#unsubscribe();
  }

  #renew(id: bigint): void {
    const l = this.#sm.store.leases.get(id);
    if (l !== undefined) this.#expiry.set(id, this.clock.now() + l.ttl * 1000);
  }

  /**
   * Adds the leases first seen (loaded at start, restored) and drops those gone (revoked). A grant
   * sets its lease's expiry as it is applied (a renewal), so the table and the expiry map hold the
   * same ids whenever they hold as many: an O(1) check, made before every read of an expiry.
   */
  #sync(now: number): void {
    const table = this.#sm.store.leases;
    if (table.size === this.#expiry.size) return;
    for (const id of [...this.#expiry.keys()]) if (table.get(id) === undefined) this.#expiry.delete(id);
    for (const l of table.list()) {
      if (!this.#expiry.has(l.id)) this.#expiry.set(l.id, now + (l.remainingTtl > 0 ? l.remainingTtl : l.ttl) * 1000);
    }
  }

  #tick(): void {
    if (this.#replica.lifecycle !== 'open') {
      if (this.#replica.lifecycle === 'closed') this.close();
      return;
    }
    const now = this.clock.now();
    this.#sync(now);
    const leading = this.#replica.status().role === StateType.Leader;
    if (leading && !this.#leading) {
      // Promote: no lease expires because leadership moved.
      for (const [id, at] of this.#expiry) this.#expiry.set(id, Math.max(at, now) + this.#electionMs);
    }
    this.#leading = leading;
    if (!leading) return;
    for (const [id, at] of this.#expiry) {
      if (at > now || this.#revoking.has(id)) continue;
      this.#revoking.add(id);
      this.#revoke(id)
        .then(() => this.#sm.store.ops.leaseExpiries++)
        .catch(() => undefined) // already revoked, or leadership lost: the next leader retries
        .finally(() => this.#revoking.delete(id));
    }
  }
}
