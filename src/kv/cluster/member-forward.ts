import { RaftkitError } from '../../errors.js';
import { StateType } from '../../raft/ready.js';
import { after } from '../../replica/clock.js';
import { MembershipRefusedError, NotLeaderError, TimeoutError } from '../../replica/errors.js';
import { logRequestId, type MemberChangeRequest, type MemberRequestCommand, type MemberResultCommand } from '../commands.js';
import type { KvClient } from '../kv-client.js';
import type { RequestOptions } from '../../replica/options.js';
import type { Replica } from '../../replica/replica.js';
import type { KvRequestOptions } from '../request-options.js';
import type { KvStateMachine, MemberCommand } from '../kv-state-machine.js';

/** A forwarded membership change failed on the leader with an error other than a refusal; `code` is the leader's. */
export class ForwardedMemberChangeError extends RaftkitError {}

/** The state machines whose forwarded requests already have an executor (one per state machine, so a change is made once). */
const executors = new WeakSet<KvStateMachine>();

/**
 * Membership calls made on a follower, forwarded to the leader as etcd forwards them: the
 * follower proposes a `memberRequest` entry; the member leading in that entry's term makes the
 * change and proposes a `memberResult`, which the follower waits for. A leader elected later
 * never acts on an older term's request, so a change is made at most once; a request whose
 * leader lost its term meanwhile gets no result and times out.
 */
export class MemberForwarder {
  readonly #kv: KvClient;
  readonly #executor: boolean;
  readonly #waiting = new Map<string, (r: MemberResultCommand) => void>();

  /** @param kv - the member's client. */
  constructor(kv: KvClient) {
    this.#kv = kv;
    this.#executor = !executors.has(kv.stateMachine);
    executors.add(kv.stateMachine);
    kv.stateMachine.onMemberCommand((cmd, term) => {
      this.#onCommand(cmd, term);
    });
  }

  /**
   * Makes `change` on this member when it leads; on a follower (`NotLeaderError`), forwards it
   * and waits for the leader's outcome (at most `options.timeoutMs`, default 10 s; the forwarded
   * request itself is proposed with `options`).
   */
  async change(change: MemberChangeRequest, options: KvRequestOptions = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? 10_000;
    try {
      await makeChange(this.#kv.replica, change, options);
      return;
    } catch (e) {
      if (!(e instanceof NotLeaderError)) throw e;
    }
    const reqId = logRequestId();
    let cancel: () => void = () => undefined;
    const result = new Promise<MemberResultCommand | undefined>((resolve) => {
      this.#waiting.set(reqId, resolve);
      cancel = after(this.#kv.lessor.clock, timeoutMs, () => resolve(undefined));
    });
    try {
      await this.#kv.propose({ op: 'memberRequest', reqId, change }, options);
      const r = await result;
      if (r === undefined) throw new TimeoutError(`the leader did not report the outcome of the forwarded ${change.action} of member ${change.id} within ${timeoutMs} ms`);
      if (r.code === '') return;
      if (r.code === 'ERR_MEMBERSHIP_REFUSED') throw new MembershipRefusedError(r.message);
      throw new ForwardedMemberChangeError(r.code, r.message);
    } finally {
      cancel();
      this.#waiting.delete(reqId);
    }
  }

  #onCommand(cmd: MemberCommand, term: number): void {
    if (cmd.op === 'memberResult') {
      this.#waiting.get(cmd.reqId)?.(cmd);
      return;
    }
    const st = this.#kv.replica.status();
    if (!this.#executor || st.role !== StateType.Leader || st.term !== term) return;
    void this.#execute(cmd);
  }

  async #execute(cmd: MemberRequestCommand): Promise<void> {
    let code = '';
    let message = '';
    try {
      await makeChange(this.#kv.replica, cmd.change);
    } catch (e) {
      code = (e as { code?: unknown }).code === undefined ? 'ERR_UNKNOWN' : String((e as { code?: unknown }).code);
      message = e instanceof Error ? e.message : String(e);
    }
    await this.#kv.propose({ op: 'memberResult', reqId: cmd.reqId, code, message }).catch(() => undefined);
  }
}

/** Makes `c` on `r` (which must lead): the one mapping of a membership request onto the Replica's calls. */
function makeChange(r: Replica, c: MemberChangeRequest, options: RequestOptions = {}): Promise<void> {
  switch (c.action) {
    case 'add': return r.addMember(c.id, c.address ?? '', { ...options, learner: c.learner === true });
    case 'remove': return r.removeMember(c.id, options);
    case 'promote': return r.promoteMember(c.id, options);
    case 'update': return r.updateMember(c.id, c.address ?? '', options);
  }
}
