import { NoSpaceError } from '../errors.js';
import type { KvClient } from '../kv-client.js';
import { reportedDbSize } from '../maintenance/maintenance-client.js';
import { AlarmType, type AlarmMember, type AlarmResponse } from './alarm-table.js';
import { splitRequestOptions, type KvRequestOptions } from '../request-options.js';

/** etcd's default backend quota: 2 GiB. */
export const DEFAULT_QUOTA_BACKEND_BYTES = 2 * 1024 * 1024 * 1024;

/**
 * Alarms of one member's client (etcd's `Alarm` RPC and quota): alarms are raised and cleared
 * through Raft, so every member refuses the same writes. When the database exceeds
 * `quotaBackendBytes`, a write that needs space raises `NOSPACE` for this member and fails with
 * `ERR_NO_SPACE`; while `NOSPACE` stands, puts, txns that put and lease grants fail on every
 * member, and reads, deletes and compactions work. After compaction and defragmentation bring
 * the size down, `disarm()` restores writes.
 */
export class AlarmsClient {
  readonly #kv: KvClient;
  readonly #quota: number;
  /** The database size last measured, the bytes checked since, and when (performance.now()). */
  #measured = 0;
  #since = 0;
  #measuredAt = Number.NEGATIVE_INFINITY;
  #measuring: Promise<void> | undefined;

  /**
   * @param kv - the member's client.
   * @param quotaBackendBytes - the quota in bytes (0: etcd's default, 2 GiB; negative: no quota, as etcd's).
   */
  constructor(kv: KvClient, quotaBackendBytes = 0) {
    this.#kv = kv;
    this.#quota = quotaBackendBytes < 0 ? Number.POSITIVE_INFINITY : quotaBackendBytes > 0 ? quotaBackendBytes : DEFAULT_QUOTA_BACKEND_BYTES;
  }

  /** The quota in bytes (`Infinity` when disabled). */
  get quotaBackendBytes(): number {
    return this.#quota;
  }

  /** The alarms active as this member applied them (no read barrier). */
  active(): AlarmMember[] {
    return this.#kv.stateMachine.alarms.list();
  }

  /** The active alarms, after a read barrier (etcd's `Alarm` GET). */
  async list(options: KvRequestOptions = {}): Promise<AlarmResponse> {
    await this.#kv.readBarrier(splitRequestOptions(options)[1]);
    return { header: this.#kv.header(this.#kv.stateMachine.store.visibleRev), alarms: this.active() };
  }

  /** Raises an alarm for `memberId` (default this member) through Raft. */
  activate(alarm: AlarmType, memberId: bigint = BigInt(this.#kv.replica.id), options: KvRequestOptions = {}): Promise<AlarmResponse> {
    return this.#kv.propose({ op: 'alarm', action: 'activate', memberId, alarm }, splitRequestOptions(options)[1]);
  }

  /** Clears alarms through Raft: one member's one kind, or by default every alarm (etcd's `alarm disarm`). */
  disarm(which: Partial<AlarmMember> = {}, options: KvRequestOptions = {}): Promise<AlarmResponse> {
    return this.#kv.propose({ op: 'alarm', action: 'deactivate', memberId: which.memberId ?? 0n, alarm: which.alarm ?? AlarmType.NONE }, splitRequestOptions(options)[1]);
  }

  /**
   * etcd's quota check before a write that needs `bytes` more: when the database would exceed
   * the quota, raises `NOSPACE` (once) and rejects with {@link NoSpaceError}.
   *
   * @internal
   */
  async checkQuota(bytes: number): Promise<void> {
    if (this.#quota === Number.POSITIVE_INFINITY) return;
    // Measuring the database on every write costs more than the write (LevelDB's size
    // estimate walks its files): estimate it as the last measurement plus the bytes checked
    // since, measure again in the background once a second, and measure before refusing.
    const now = performance.now();
    if (now - this.#measuredAt > MEASURE_EVERY_MS) this.#measure().catch(() => undefined);
    if (this.#measured + this.#since + bytes <= this.#quota) {
      this.#since += bytes;
      return;
    }
    await this.#measure();
    if (this.#measured + bytes <= this.#quota) {
      this.#since += bytes;
      return;
    }
    if (!this.#kv.stateMachine.alarms.has(AlarmType.NOSPACE)) await this.activate(AlarmType.NOSPACE).catch(() => undefined);
    throw new NoSpaceError();
  }

  /** Measures the database size (one measurement at a time; callers share it). */
  #measure(): Promise<void> {
    this.#measuring ??= (async () => {
      const since = this.#since;
      try {
        this.#measured = await reportedDbSize(this.#kv.stateMachine);
        this.#since -= since;
        this.#measuredAt = performance.now();
      } finally {
        this.#measuring = undefined;
      }
    })();
    return this.#measuring;
  }
}

/** How often the quota check measures the database size again while writes stay under the quota. */
const MEASURE_EVERY_MS = 1000;
