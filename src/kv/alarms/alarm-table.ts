import type { KvCommand } from '../commands.js';
import { CorruptClusterError, NoSpaceError, type KvError } from '../errors.js';
import type { Applied } from '../mvcc/apply.js';
import { revisionHeader } from '../mvcc/range.js';
import type { RequestOp, ResponseHeader, TxnRequest } from '../types.js';

/** The kinds of alarm (`etcdserverpb.AlarmType`). */
export const AlarmType = {
  /** No alarm (in a request: every alarm). */
  NONE: 0,
  /** The database exceeded its quota: writes that need space are refused. */
  NOSPACE: 1,
  /** A member's data was found corrupt. */
  CORRUPT: 2,
} as const;
/** One of {@link AlarmType}'s values. */
export type AlarmType = (typeof AlarmType)[keyof typeof AlarmType];

/** The names etcd prints for alarms (in `status().errors`). */
export const ALARM_NAMES: Record<AlarmType, string> = { 0: 'NONE', 1: 'NOSPACE', 2: 'CORRUPT' };

/** One raised alarm (`etcdserverpb.AlarmMember`). */
export interface AlarmMember {
  /** The member that raised it. */
  memberId: bigint;
  /** The alarm. */
  alarm: AlarmType;
}

/** The answer to an alarm request (`etcdserverpb.AlarmResponse`). */
export interface AlarmResponse {
  /** The response header. */
  header: ResponseHeader;
  /** The alarms affected (activate, deactivate) or active (get). */
  alarms: AlarmMember[];
}

/**
 * The alarm command proposed through Raft (etcd's `AlarmRequest` with `ACTIVATE`/`DEACTIVATE`).
 * @internal
 */
export type AlarmCommand = Extract<KvCommand, { op: 'alarm' }>;

/**
 * The replicated alarms (etcd's alarm store): raised and cleared through Raft, so every member
 * refuses the same writes at the same point of the log. The state machine persists them with
 * the revisions of the same batch and carries them in its snapshots, as etcd keeps them in its
 * backend's `alarm` bucket, so a restart or a snapshot restore keeps them.
 */
export class AlarmTable {
  readonly #alarms = new Map<string, AlarmMember>();
  /** Alarms raised (true) or cleared (false) since the last {@link AlarmTable.drainTouched}. */
  readonly #touched = new Map<string, [AlarmMember, boolean]>();

  /** The active alarms, by member then kind. */
  list(): AlarmMember[] {
    return [...this.#alarms.values()].sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : a.alarm - b.alarm));
  }

  /** Whether an alarm of kind `alarm` is active on any member. */
  has(alarm: AlarmType): boolean {
    for (const a of this.#alarms.values()) if (a.alarm === alarm) return true;
    return false;
  }

  /**
   * Applies an activate or deactivate (etcd: deactivating `NONE` or for member 0 clears every matching alarm).
   *
   * @internal
   */
  apply(c: AlarmCommand, rev: number): Applied<AlarmResponse> {
    const affected: AlarmMember[] = [];
    if (c.action === 'activate') {
      const a = { memberId: c.memberId, alarm: c.alarm };
      if (!this.#alarms.has(key(a))) {
        this.#alarms.set(key(a), a);
        this.#touched.set(key(a), [a, true]);
      }
      affected.push(a);
    } else {
      for (const [k, a] of this.#alarms) {
        if ((c.memberId === 0n || a.memberId === c.memberId) && (c.alarm === AlarmType.NONE || a.alarm === c.alarm)) {
          this.#alarms.delete(k);
          this.#touched.set(k, [a, false]);
          affected.push(a);
        }
      }
    }
    return { response: { header: revisionHeader(rev), alarms: affected }, effects: { changes: [] } };
  }

  /**
   * The alarms raised (`true`) or cleared (`false`) since the last call, to persist with the
   * batch that applied them.
   *
   * @internal
   */
  drainTouched(): [AlarmMember, boolean][] {
    if (this.#touched.size === 0) return [];
    const out = [...this.#touched.values()];
    this.#touched.clear();
    return out;
  }

  /**
   * Replaces the table with the alarms loaded from the database (at start, after a restore).
   *
   * @internal
   */
  load(alarms: readonly AlarmMember[]): void {
    this.#alarms.clear();
    this.#touched.clear();
    for (const a of alarms) this.#alarms.set(key(a), a);
  }

  /**
   * The error `cmd` is refused with while the alarms stand, if any: with `CORRUPT` (etcd's corrupt
   * applier), puts, deletes, txns, compactions and lease grants and revokes; with `NOSPACE`
   * (etcd's capped applier), puts, txns that put, and lease grants.
   *
   * @internal
   */
  refusal(cmd: KvCommand): KvError | undefined {
    if (this.#alarms.size === 0) return undefined;
    if (this.has(AlarmType.CORRUPT) && CORRUPT_REFUSES.has(cmd.op)) return new CorruptClusterError();
    if (!this.has(AlarmType.NOSPACE)) return undefined;
    return cmd.op === 'put' || cmd.op === 'leaseGrant' || (cmd.op === 'txn' && txnPuts(cmd.req)) ? new NoSpaceError() : undefined;
  }
}

/** The commands a `CORRUPT` alarm refuses (etcd's `applierV3Corrupt`): keep-alives, checkpoints, alarms and members' changes pass. */
const CORRUPT_REFUSES: ReadonlySet<KvCommand['op']> = new Set(['put', 'deleteRange', 'txn', 'compact', 'leaseGrant', 'leaseRevoke']);

function key(a: AlarmMember): string {
  return `${a.memberId}:${a.alarm}`;
}

function txnPuts(t: TxnRequest): boolean {
  const ops: RequestOp[] = [...(t.success ?? []), ...(t.failure ?? [])];
  return ops.some((op) => 'requestPut' in op || ('requestTxn' in op && txnPuts(op.requestTxn)));
}
