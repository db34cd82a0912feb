/**
 * One KV command applied to the tables it changes: the MVCC store (through its applier), the
 * leases, the alarms and the members' attributes. A command that reads nothing first (a plain
 * put, a lease grant, an alarm) is applied and answered synchronously: a batch of them runs
 * without a promise or a turn of the microtask queue per command.
 * @module
 */
import type { AlarmTable } from './alarms/alarm-table.js';
import type { MemberAttrTable } from './cluster/member-attrs.js';
import type { KvCommand } from './commands.js';
import { KvError } from './errors.js';
import type { KvHistograms } from './kv-histograms.js';
import { renewLease } from './lease/renew.js';
import type { Applied, MvccApplier } from './mvcc/apply.js';
import { revisionHeader } from './mvcc/range.js';
import type { MvccStore } from './mvcc/store.js';

/** What applying one command came to: its response and effects, or the KV error that refused it (nothing changed). */
export type Outcome = Applied<unknown> | { ok: false; error: KvError };

/** The tables a command is applied to, and who hears of lease grants and renewals. */
export interface CommandTargets {
  readonly store: MvccStore;
  readonly applier: MvccApplier;
  readonly alarms: AlarmTable;
  readonly members: MemberAttrTable;
  readonly renewals: ReadonlySet<(id: bigint, granted: boolean) => void>;
  readonly histograms: KvHistograms;
}

/**
 * Applies `cmd`. Returns its outcome directly when the command is applied synchronously, else a
 * promise of it. A `KvError` becomes a refusal; any other exception is the state machine's
 * failure and is thrown (or rejected) as is.
 */
export function applyCommand(t: CommandTargets, cmd: KvCommand): Outcome | Promise<Outcome> {
  let a: Applied<unknown> | Promise<Applied<unknown>>;
  try {
    a = dispatch(t, cmd);
  } catch (e) {
    return refused(e);
  }
  return a instanceof Promise ? a.catch(refused) : a;
}

function dispatch(t: CommandTargets, cmd: KvCommand): Applied<unknown> | Promise<Applied<unknown>> {
  switch (cmd.op) {
    case 'put':
      return t.applier.put(cmd.req);
    case 'deleteRange':
      return t.applier.deleteRange(cmd.req);
    case 'txn':
      return t.applier.txn(cmd.req);
    case 'compact': {
      const started = performance.now();
      const a = t.applier.compact(cmd.req);
      t.histograms.indexCompactionPause.observe(performance.now() - started);
      return a;
    }
    case 'leaseGrant': {
      // A grant starts the lease's time to live, as a keep-alive restarts it: a lessor that knew an
      // earlier lease under this id (revoked since) must not keep that one's expiry.
      const a = t.applier.grant(cmd.id, cmd.ttl);
      t.histograms.leaseTtls.observe(a.response.ttl);
      for (const fn of t.renewals) fn(cmd.id, true);
      return a;
    }
    case 'leaseRevoke':
      return t.applier.revoke(cmd.id);
    case 'leaseCheckpoint':
      return t.applier.checkpoint(cmd.checkpoints);
    case 'alarm':
      return t.alarms.apply(cmd, t.store.rev);
    case 'memberAttrs':
      return t.members.apply(cmd.memberId, cmd, t.store.rev);
    case 'memberRequest':
    case 'memberResult':
    case 'hashCheck':
    case 'hashVerdict':
      return { response: { header: revisionHeader(t.store.rev) }, effects: { changes: [] } };
    case 'leaseKeepAlive': {
      const a = renewLease(t.store, cmd.id);
      for (const fn of t.renewals) fn(cmd.id, false);
      return a;
    }
  }
}

function refused(e: unknown): Outcome {
  if (e instanceof KvError) return { ok: false, error: e };
  throw e;
}
