import { RaftkitError } from '../../errors.js';
import { after, type Cancel } from '../../replica/clock.js';
import { ProposalDroppedError } from '../../raft/errors.js';
import { TimeoutError, TooManyRequestsError } from '../../replica/errors.js';
import { AlarmType } from '../alarms/alarm-table.js';
import { logRequestId, type HashCheckCommand, type HashVerdict, type HashVerdictCommand } from '../commands.js';
import type { KvClient } from '../kv-client.js';
import type { KvStateMachine } from '../kv-state-machine.js';
import type { HashKVResponse } from './maintenance-client.js';

/** How other members judged one member's HashKV (see `MaintenanceClient.checkCorruption`). */
export interface CorruptionCheckReport {
  /** The member whose hash was checked. */
  memberId: bigint;
  /** The revision it hashed. */
  revision: number;
  /** Its compacted revision when it hashed (-1 before any compaction). */
  compactRevision: number;
  /** Its hash. */
  hash: number;
  /** The members whose hash at the same revision, under the same compaction, differs. */
  mismatched: bigint[];
  /** The members whose hash is the same. */
  matched: bigint[];
  /** The members that could not compare: they had compacted past the revision, or compacted differently. */
  skipped: bigint[];
  /** The members that did not answer in time (unreachable, no leader, or the check was never committed). */
  unanswered: bigint[];
}

/** Options of `MaintenanceClient.checkCorruption`. */
export interface CorruptionCheckOptions {
  /**
   * How long to wait for the other members' answers, in ms. Default 7 s: etcd's request timeout
   * (5 s plus two election timeouts) at its default election timeout.
   */
  timeoutMs?: number;
}

/**
 * etcd's initial corruption check failed: another member hashed the same revision, under the same
 * compaction, to a different value. Code `ERR_DATA_INCONSISTENCY`; the message is etcd's.
 */
export class DataInconsistencyError extends RaftkitError {
  /** The check that failed. */
  readonly report: CorruptionCheckReport;

  /** @param report - the check that failed. */
  constructor(report: CorruptionCheckReport) {
    super('ERR_DATA_INCONSISTENCY', `${report.memberId.toString(16)} found data inconsistency with peers`);
    this.report = report;
  }
}

/** The state machines whose checks already have a member answering them (one answer per member). */
const answering = new WeakSet<KvStateMachine>();

const DEFAULT_TIMEOUT_MS = 7000;
/** How long one proposal of a check may take before it is proposed again. */
const ATTEMPT_MS = 1000;
/** The failures of a proposal that a later attempt may not meet: the check is proposed again after them, and fails with any other. */
const RETRIED = [TimeoutError, ProposalDroppedError, TooManyRequestsError];

/** How long after a check's deadline a member still answers it, for clocks that differ between members. */
const CLOCK_SLACK_MS = 60_000;

/**
 * etcd's corruption checks (`--experimental-initial-corrupt-check`,
 * `--experimental-corrupt-check-time`), through the log: a member proposes its HashKV
 * (a `hashCheck` entry); every other member that applies it hashes the same revision and proposes
 * its verdict (a `hashVerdict` entry), which the checking member collects. Every member answers,
 * whether or not it runs checks of its own.
 *
 * etcd asks its peers over their peer URLs instead; through the log the check needs nothing from
 * the transport, so it works over any of them. A member answers a check only until a minute past
 * its deadline, so one replaying an old log after a restart does not hash for checks long over.
 */
export class CorruptionChecker {
  readonly #kv: KvClient;
  readonly #hash: (revision: number) => Promise<HashKVResponse>;
  readonly #waiting = new Map<string, (v: HashVerdictCommand) => void>();

  /**
   * @param kv - the member's client.
   * @param hash - its HashKV (the maintenance client's).
   */
  constructor(kv: KvClient, hash: (revision: number) => Promise<HashKVResponse>) {
    this.#kv = kv;
    this.#hash = hash;
    const answers = !answering.has(kv.stateMachine);
    answering.add(kv.stateMachine);
    kv.stateMachine.onHashCommand((cmd) => {
      if (cmd.op === 'hashVerdict') this.#waiting.get(cmd.checkId)?.(cmd);
      else if (answers) this.#answer(cmd);
    });
  }

  /**
   * Proposes this member's HashKV at its current revision and waits until every other member of
   * the configuration has compared it with its own, or `options.timeoutMs` passed. A check that
   * cannot be committed in time (no leader) reports every other member as unanswered.
   *
   * @throws `StoppedError` when the replica stops, and a proposal's other errors but a timeout,
   * a dropped proposal and too many requests (after which it proposes the check again).
   */
  async check(options: CorruptionCheckOptions = {}): Promise<CorruptionCheckReport> {
    const kv = this.#kv;
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const own = await this.#hash(0);
    const self = kv.replica.id;
    const config = kv.replica.status().config;
    const others = new Set([...config.voters, ...config.votersOutgoing, ...config.learners].filter((id) => id !== self).map(BigInt));
    const report: CorruptionCheckReport = { memberId: BigInt(self), revision: own.hashRevision, compactRevision: own.compactRevision, hash: own.hash, mismatched: [], matched: [], skipped: [], unanswered: [] };
    if (others.size === 0) return report;
    const checkId = logRequestId();
    const verdicts = new Map<bigint, HashVerdict>();
    let cancel: Cancel = () => undefined;
    const answered = new Promise<void>((resolve) => {
      this.#waiting.set(checkId, (v) => {
        if (others.has(v.memberId)) verdicts.set(v.memberId, v.verdict);
        if (verdicts.size === others.size) resolve();
      });
      cancel = after(kv.lessor.clock, timeoutMs, resolve);
    });
    const cmd: HashCheckCommand = { op: 'hashCheck', checkId, memberId: report.memberId, revision: own.hashRevision, compactRevision: own.compactRevision, hash: own.hash, deadline: Date.now() + timeoutMs };
    let over = false;
    void answered.then(() => (over = true));
    const clock = kv.lessor.clock;
    try {
      // A proposal forwarded to a leader that then failed is lost, and one that timed out may
      // still commit: either way it is proposed again while time is left, at most once per
      // attempt's time (the other members answer each copy; each member's verdict counts once).
      for (const deadline = clock.now() + timeoutMs; !over && clock.now() < deadline; ) {
        const attemptEnd = Math.min(deadline, clock.now() + ATTEMPT_MS);
        const failure = await kv.propose(cmd, { timeoutMs: Math.max(1, Math.ceil(attemptEnd - clock.now())) }).then(() => undefined, (e: unknown) => (e instanceof Error ? e : new Error(String(e))));
        if (failure === undefined) break;
        if (!RETRIED.some((t) => failure instanceof t)) throw failure;
        // A refusal can come at once (no leader yet): wait out the attempt before the next.
        await new Promise<void>((resolve) => {
          const stop = after(clock, Math.max(0, attemptEnd - clock.now()), resolve);
          void answered.then(() => {
            stop();
            resolve();
          });
        });
      }
      await answered;
    } finally {
      cancel();
      this.#waiting.delete(checkId);
    }
    const lists: Record<HashVerdict, bigint[]> = { match: report.matched, mismatch: report.mismatched, skipped: report.skipped };
    for (const id of others) {
      const v = verdicts.get(id);
      (v === undefined ? report.unanswered : lists[v]).push(id);
    }
    return report;
  }

  /**
   * Runs `MaintenanceClient.checkCorruption` every `intervalMs` while this member leads, and raises a
   * `CORRUPT` alarm for every member whose hash differs from the leader's, as etcd's leader does
   * every `--experimental-corrupt-check-time`. `onReport` gets each check's report, and each
   * failure to raise an alarm. Returns the stopper.
   */
  startPeriodic(intervalMs: number, onReport: (r: CorruptionCheckReport | Error) => void = () => undefined): Cancel {
    const kv = this.#kv;
    let running = false;
    return kv.lessor.clock.every(intervalMs, () => {
      if (running || kv.replica.status().leader !== kv.replica.id) return;
      running = true;
      void (async () => {
        try {
          const r = await this.check();
          onReport(r);
          for (const id of r.mismatched) await kv.alarms.activate(AlarmType.CORRUPT, id);
        } catch (e) {
          onReport(e instanceof Error ? e : new RaftkitError('ERR_CORRUPT_CHECK', String(e)));
        } finally {
          running = false;
        }
      })();
    });
  }

  /** Hashes the check's revision as of this entry and proposes the verdict; nothing when this member made the check, or the check is long over. */
  #answer(cmd: HashCheckCommand): void {
    const kv = this.#kv;
    const self = BigInt(kv.replica.id);
    if (cmd.memberId === self || Date.now() > cmd.deadline + CLOCK_SLACK_MS) return;
    // Called once the entry's batch is applied, before any later batch: the hash sees the compaction
    // as of that batch (one later in the same batch makes the compacted revisions differ: skipped).
    const verdict = this.#hash(cmd.revision).then(
      (h): [HashVerdict, HashKVResponse | undefined] => (h.compactRevision !== cmd.compactRevision ? ['skipped', h] : [h.hash === cmd.hash ? 'match' : 'mismatch', h]),
      (): [HashVerdict, undefined] => ['skipped', undefined],
    );
    void verdict
      .then(([v, h]) => kv.propose({ op: 'hashVerdict', checkId: cmd.checkId, memberId: self, verdict: v, hash: h?.hash ?? 0, compactRevision: h?.compactRevision ?? kv.stateMachine.store.compactRev }))
      // The checking member counts a verdict that never commits as unanswered.
      .catch(() => undefined);
  }
}
