import {
  ConfChangeTransition,
  ConfChangeType,
  decodeConfChange,
  decodeConfChangeV2,
  type ConfChangeSingle,
  type ConfChangeV2,
} from '../../src/raft/conf-change.js';
import { EntryType, isEmptySnapshot, type ConfState, type Entry } from '../../src/raft/entry.js';
import { MemoryStorage } from '../../src/raft/log-storage.js';
import { MessageType, type Message } from '../../src/raft/messages.js';
import { RaftNode } from '../../src/raft/raft-node.js';
import { StateType, type Ready } from '../../src/raft/ready.js';
import { SeededRng } from '../../src/raft/rng.js';
import { describeMessage } from '../../src/raft/describe.js';
import { ProposalDroppedError, StepPeerNotFoundError } from '../../src/raft/errors.js';

/** A violated safety property, with the seed that reproduces it. */
export class SafetyViolation extends Error {}

/** A violated liveness property (the healed cluster did not converge), with the seed. */
export class LivenessViolation extends SafetyViolation {}

interface SimNode {
  id: number;
  node: RaftNode;
  /** Durable storage: survives crashes. */
  storage: MemoryStorage;
  /** The state machine: the applied entries (durable, updated atomically with applying). */
  applied: { index: number; term: number; key: string }[];
  appliedIndex: number;
  confState: ConfState | undefined;
  up: boolean;
  /** The highest commit index whose entries were checked against the committed map. */
  checkedCommit: number;
  /** A crashed node reboots at this step (a crash without one stays down until picked). */
  restartAt: number | undefined;
  /** Bumped on every restart: snapshot reports go only to the incarnation that sent it. */
  incarnation: number;
  /** Removed from the configuration and stopped for good by the operator (settle phase). */
  retired: boolean;
}

/** The actions the random schedule picks from, weighted per seed (see {@link Profile}). */
const ACTIONS = [
  'tickRandom',
  'tickAll',
  'deliver',
  'propose',
  'proposeBurst',
  'partition',
  'isolateLeader',
  'crashOrRestart',
  'crashLeader',
  'campaign',
  'transferLeader',
  'flakyLinks',
  'confChange',
  'compact',
] as const;
type Action = (typeof ACTIONS)[number];

/**
 * A seed's fault profile: how often each action happens, how lossy the network is, and the
 * targeted faults it favours. Drawn from the seed so that different seeds explore very
 * different schedules (a uniform mix rarely lines up the multi-step hazards of §5.4.2).
 */
interface Profile {
  weights: Record<Action, number>;
  /** Percent of deliveries dropped / duplicated. */
  lossPct: number;
  dupPct: number;
  /** Messages are picked at random among the oldest `reorderWindow` (1 = FIFO). */
  reorderWindow: number;
  /** Percent chance that a newly elected leader is crashed after a few of its messages arrive. */
  crashNewLeaderPct: number;
  /** ... after fewer than this many messages to or from it were delivered. */
  crashNewLeaderAfter: number;
  /** Percent chance that a burst of proposals on the leader ends with the leader crashing. */
  burstCrashPct: number;
  /** At most this many nodes are down at once (more may stay down after a crash of the leader). */
  maxDown: number;
  /** A crashed leader reboots within this many steps. */
  rebootSteps: number;
  /** Percent of a crashing node's undelivered messages lost with it (still in its send buffers). */
  sendBufferLossPct: number;
}

/** Options of one simulated run. */
export interface SimOptions {
  seed: number;
  nodes: number;
  steps: number;
  /** Record a trace of everything (for replaying a failing seed). */
  trace?: boolean;
  /** Check liveness at the end of the settle phase (default true). */
  liveness?: boolean;
}

/** The settle phase's budget, in rounds (every node ticks once, every message is delivered). */
export const SETTLE_ROUNDS = 1000;

const enc = new TextEncoder();
const dec = new TextDecoder();

function entryKey(e: Entry): string {
  return `${e.term}/${e.index}/${e.type}/${dec.decode(e.data)}`;
}

/**
 * A randomized, seeded simulation of a RaftNode cluster: random ticks, message loss,
 * duplication, reordering, partitions, crashes and restarts, proposals, conf changes and
 * log compaction. After every step it checks Raft's safety properties; at the end, after
 * healing, it checks liveness (one leader, one commit index, a fresh proposal commits).
 */
export class RaftSim {
  readonly rng: SeededRng;
  readonly nodes = new Map<number, SimNode>();
  private network: Message[] = [];
  /** The sender's incarnation of every MsgSnap in flight, for the transport's snapshot reports. */
  private readonly snapSender = new WeakMap<Message, number>();
  private partition: Map<number, number> | undefined;
  /** Per directed link (`from>to`): percent of its messages dropped, and percent delayed. */
  private linkLoss = new Map<string, number>();
  private linkDelay = new Map<string, number>();
  /** A newly elected leader to crash once this many more of its messages are delivered. */
  private pendingCrash: { id: number; term: number; after: number } | undefined;
  /** The final, fault-free phase. */
  private settling = false;
  /** term -> leader id, over the whole run. */
  private readonly leaders = new Map<number, number>();
  /** index -> committed entry key, as first applied anywhere. */
  private readonly committed = new Map<number, string>();
  private maxCommitted = 0;
  readonly trace: string[] = [];
  private stepNo = 0;
  private proposals = 0;
  readonly stats = {
    committed: 0,
    proposals: 0,
    confChanges: 0,
    crashes: 0,
    leaderCrashes: 0,
    partitions: 0,
    drops: 0,
    dups: 0,
    snapshots: 0,
    leadersElected: 0,
    campaigns: 0,
    snapReports: 0,
    unreachableReports: 0,
    retired: 0,
    settleRounds: 0,
  };
  private readonly preVote: boolean;
  private readonly checkQuorum: boolean;
  private readonly maxSizePerMsg: number;
  private readonly maxInflightMsgs: number;
  private readonly electionTick: number;
  private readonly heartbeatTick: number;
  private readonly allIds: number[];
  private readonly voters: number[];
  readonly profile: Profile;
  private readonly totalWeight: number;

  private readonly opts: SimOptions;

  constructor(opts: SimOptions) {
    this.opts = opts;
    this.rng = new SeededRng(opts.seed);
    this.preVote = this.rng.nextInt(2) === 1;
    this.checkQuorum = this.rng.nextInt(2) === 1;
    // Small messages (down to one entry each) make partial replication, and so the
    // Figure 8 hazards of §5.4.2, far more likely.
    this.maxSizePerMsg = this.pick([1, 1, 64, 256, 4096]);
    this.maxInflightMsgs = this.pick([1, 2, 4, 4, 256]);
    this.heartbeatTick = this.pick([1, 1, 2, 3]);
    this.electionTick = this.heartbeatTick * this.pick([3, 5, 10]);
    const voters = Array.from({ length: opts.nodes }, (_, i) => i + 1);
    this.voters = voters;
    // Two spare ids that conf changes can add.
    this.allIds = [...voters, opts.nodes + 1, opts.nodes + 2];
    this.profile = this.drawProfile();
    this.totalWeight = ACTIONS.reduce((sum, a) => sum + this.profile.weights[a], 0);
    for (const id of this.allIds) {
      // Every node, including the spares that join later, starts from the cluster's initial
      // configuration (as it would from a shared static config); the spares are not members.
      const storage = new MemoryStorage({ voters });
      this.nodes.set(id, {
        id,
        node: this.newNode(id, storage, 0),
        storage,
        applied: [],
        appliedIndex: 0,
        confState: undefined,
        up: true,
        checkedCommit: 0,
        restartAt: undefined,
        incarnation: 0,
        retired: false,
      });
    }
  }

  /**
   * The seed's fault profile. A quarter of the seeds keep the original uniform mix; the
   * others add targeted faults (crashes right after an election or a burst of proposals,
   * lost send buffers, forced elections and transfers, an isolated leader, per-link loss
   * and delay), and half are leader churn: the schedules under which entries of
   * older terms sit replicated on some nodes but not on others (Figure 8, §5.4.2).
   */
  private drawProfile(): Profile {
    const w: Record<Action, number> = {
      tickRandom: 30,
      tickAll: 7,
      deliver: 35,
      propose: 15,
      proposeBurst: 0,
      partition: 4,
      isolateLeader: 0,
      crashOrRestart: 3,
      crashLeader: 0,
      campaign: 0,
      transferLeader: 0,
      flakyLinks: 0,
      confChange: 3,
      compact: 3,
    };
    const profile: Profile = {
      weights: w,
      lossPct: 8,
      dupPct: 4,
      reorderWindow: 6,
      crashNewLeaderPct: 0,
      crashNewLeaderAfter: 1,
      burstCrashPct: 0,
      maxDown: this.allIds.length,
      rebootSteps: 50,
      sendBufferLossPct: 0,
    };
    const family = this.rng.nextInt(8);
    // A quarter of the seeds keep the original uniform mix.
    if (family < 2) return profile;
    // The other seeds: every knob drawn independently, so that seeds mix the faults
    // differently; half of all seeds then turn to leader churn (below).
    const f = Math.floor((this.opts.nodes - 1) / 2);
    w.tickRandom = 10 + this.rng.nextInt(30);
    w.tickAll = this.rng.nextInt(10);
    w.deliver = 20 + this.rng.nextInt(40);
    w.propose = 5 + this.rng.nextInt(15);
    w.proposeBurst = this.rng.nextInt(6);
    w.partition = this.rng.nextInt(5);
    w.isolateLeader = this.rng.nextInt(4);
    w.crashOrRestart = 1 + this.rng.nextInt(5);
    w.crashLeader = this.rng.nextInt(4);
    w.campaign = this.rng.nextInt(4);
    w.transferLeader = this.rng.nextInt(3);
    w.flakyLinks = this.rng.nextInt(4);
    w.confChange = this.rng.nextInt(4);
    w.compact = 1 + this.rng.nextInt(3);
    profile.lossPct = this.pick([0, 2, 8, 20]);
    profile.dupPct = this.pick([0, 2, 5]);
    profile.reorderWindow = this.pick([1, 2, 6, 16]);
    profile.crashNewLeaderPct = this.pick([0, 30, 60, 90]);
    profile.burstCrashPct = this.pick([0, 50, 100]);
    profile.maxDown = this.pick([f, f + 1, this.allIds.length]);
    profile.rebootSteps = this.pick([5, 20, 80]);
    profile.sendBufferLossPct = this.pick([0, 50, 90, 100]);
    profile.crashNewLeaderAfter = this.pick([2, 4, 8]);
    if (family < 6) {
      // Leader churn (the "kill the leader" nemesis): forced elections, and leaders crash
      // soon after winning and reboot soon after, while the rest of the cluster stays up
      // and connected, so that many short terms each leave a partly replicated tail.
      w.crashOrRestart = 0;
      w.partition = 0;
      w.isolateLeader = 0;
      w.campaign = 10 + this.rng.nextInt(15);
      profile.crashNewLeaderPct = this.pick([50, 70, 90]);
      profile.crashNewLeaderAfter = this.pick([2, 4]);
      profile.rebootSteps = this.pick([5, 20]);
      profile.sendBufferLossPct = this.pick([50, 90, 100]);
    }
    return profile;
  }

  private newNode(id: number, storage: MemoryStorage, applied: number): RaftNode {
    return new RaftNode({
      id,
      storage,
      applied,
      electionTick: this.electionTick,
      heartbeatTick: this.heartbeatTick,
      preVote: this.preVote,
      checkQuorum: this.checkQuorum,
      maxSizePerMsg: this.maxSizePerMsg,
      maxInflightMsgs: this.maxInflightMsgs,
      seed: this.opts.seed * 31 + id,
    });
  }

  private log(line: string): void {
    if (this.opts.trace) this.trace.push(`[${this.stepNo}] ${line}`);
  }

  private fail(what: string): never {
    throw new SafetyViolation(`seed ${this.opts.seed}, step ${this.stepNo}: ${what}`);
  }

  /** Runs the whole simulation, checking invariants after every step. */
  run(): void {
    for (this.stepNo = 0; this.stepNo < this.opts.steps; this.stepNo++) {
      for (const n of this.nodes.values()) if (!n.up && n.restartAt !== undefined && n.restartAt <= this.stepNo) this.restart(n);
      this.randomAction();
      this.processReadies();
      this.checkInvariants(this.stepNo % 10 === 0);
    }
    // Heal everything and let the cluster settle: the final state must still be safe, and
    // (liveness) the cluster must converge on one leader that commits a fresh proposal.
    this.partition = undefined;
    this.linkLoss.clear();
    this.linkDelay.clear();
    this.pendingCrash = undefined;
    this.settling = true;
    // The operator stops the nodes removed from the configuration (they may not know it, and
    // would keep disrupting the cluster with elections of ever higher terms), and restarts
    // the others.
    this.retireRemoved();
    for (const n of this.nodes.values()) if (!n.up && !n.retired) this.restart(n);
    this.settle();
    this.checkInvariants(true);
    this.stats.committed = this.maxCommitted;
  }

  /**
   * The latest committed configuration: the one applied by the node that applied the most
   * (configurations take effect in log order, so no committed one is newer).
   */
  private latestConfig(): ConfState {
    let best: SimNode | undefined;
    for (const n of this.nodes.values()) {
      if (n.confState !== undefined && (best === undefined || n.appliedIndex > best.appliedIndex)) best = n;
    }
    return best?.confState ?? { voters: this.voters, learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };
  }

  private static members(cs: ConfState): Set<number> {
    return new Set([...cs.voters, ...cs.votersOutgoing, ...cs.learners, ...cs.learnersNext]);
  }

  /** Stops, for good, every node outside the latest committed configuration. */
  private retireRemoved(): void {
    const members = RaftSim.members(this.latestConfig());
    for (const n of this.nodes.values()) {
      if (n.retired || members.has(n.id)) continue;
      n.retired = true;
      n.up = false;
      n.restartAt = undefined;
      this.stats.retired++;
      this.log(`retire ${n.id} (not in the configuration)`);
    }
  }

  /**
   * The leader that every up member of the latest configuration follows, in the same term
   * and with the same commit index; undefined while they do not agree.
   */
  private agreedLeader(): SimNode | undefined {
    const cs = this.latestConfig();
    const members = [...RaftSim.members(cs)].map((id) => this.nodes.get(id)!).filter((n) => n.up);
    const leader = members.find((n) => n.node.status().raftState === StateType.Leader);
    if (leader === undefined) return undefined;
    const ls = leader.node.status();
    if (!cs.voters.includes(leader.id) && !cs.votersOutgoing.includes(leader.id)) return undefined;
    for (const n of members) {
      const s = n.node.status();
      if (s.lead !== leader.id || s.term !== ls.term || s.commit !== ls.commit) return undefined;
    }
    return leader;
  }

  /**
   * The fault-free settle phase, with the liveness check: within {@link SETTLE_ROUNDS}
   * rounds, the up members of the final configuration follow one leader with one commit
   * index, and a fresh proposal on that leader commits on all of them.
   */
  private settle(): void {
    const liveness = this.opts.liveness ?? true;
    let proposal: { leader: number; term: number; index: number } | undefined;
    for (let round = 0; round < SETTLE_ROUNDS; round++) {
      this.stats.settleRounds++;
      for (const n of this.nodes.values()) if (n.up) n.node.tick();
      this.processReadies();
      // A few network round trips per tick (a healthy network is much faster than the
      // election timeout): a follower far behind with one-entry messages catches up in time.
      for (let pass = 0; pass < 8 && this.network.length > 0; pass++) {
        this.deliverAll();
        this.processReadies();
      }
      this.retireRemoved();
      // The application snapshots now and then, as etcd's does. A leader can only send the
      // snapshot it has, and a node added after it cannot install it (it is not in its
      // configuration): such a node catches up only once the leader snapshots again.
      if (round % 20 === 19) for (const n of this.nodes.values()) if (n.up) this.snapshotNode(n);
      this.checkInvariants(false);
      const leader = this.agreedLeader();
      if (proposal !== undefined) {
        const pl = this.nodes.get(proposal.leader)!;
        const ps = pl.up ? pl.node.status() : undefined;
        if (ps?.raftState !== StateType.Leader || ps.term !== proposal.term) {
          // Leadership moved on: the proposal may be lost; propose again under the next leader.
          this.log(`liveness: leader ${proposal.leader} of term ${proposal.term} lost leadership`);
          proposal = undefined;
        } else if (leader === pl && ps.commit >= proposal.index) {
          // (The committed map holds what every node committed; the leader may have compacted.)
          const got = this.committed.get(proposal.index);
          if (got?.startsWith(`${proposal.term}/${proposal.index}/`) !== true) this.fail(`liveness: proposal at ${proposal.index} lost (committed ${got})`);
          this.log(`liveness: proposal at ${proposal.index} committed everywhere after ${round + 1} rounds`);
          return;
        }
      }
      if (proposal === undefined && leader !== undefined) {
        const term = leader.node.status().term;
        try {
          leader.node.propose(enc.encode(`live${this.opts.seed}`));
          proposal = { leader: leader.id, term, index: leader.node.internal.raftLog.lastIndex() };
          this.log(`liveness: proposed at ${proposal.index} on ${leader.id} (term ${term})`);
        } catch (err) {
          if (!(err instanceof ProposalDroppedError)) this.fail(`propose on ${leader.id}: ${String(err)}`);
        }
      }
    }
    if (!liveness) return;
    const cs = this.latestConfig();
    const state = [...RaftSim.members(cs)].map((id) => {
      const n = this.nodes.get(id)!;
      if (!n.up) return `${id}: down`;
      const s = n.node.status();
      const pr = s.progress === undefined ? '' : ` progress ${JSON.stringify([...s.progress])}`;
      return `${id}: state ${s.raftState} term ${s.term} lead ${s.lead} commit ${s.commit} last ${n.node.internal.raftLog.lastIndex()} first ${n.node.internal.raftLog.firstIndex()}${pr}`;
    });
    throw new LivenessViolation(
      `seed ${this.opts.seed}: no liveness after ${SETTLE_ROUNDS} settle rounds (${proposal === undefined ? 'members never agreed on a leader' : `proposal at ${proposal.index} on ${proposal.leader} not committed everywhere`}); config ${JSON.stringify(cs)}; ${state.join('; ')}`,
    );
  }

  private randomAction(): void {
    let r = this.rng.nextInt(this.totalWeight);
    let action: Action = 'tickAll';
    for (const a of ACTIONS) {
      if (r < this.profile.weights[a]) {
        action = a;
        break;
      }
      r -= this.profile.weights[a];
    }
    switch (action) {
      case 'tickRandom':
        return this.tickRandom();
      case 'tickAll':
        return this.tickAll();
      case 'deliver':
        return this.deliverSome();
      case 'propose':
        return this.proposeRandom();
      case 'proposeBurst':
        return this.proposeBurst();
      case 'partition':
        return this.changePartition();
      case 'isolateLeader':
        return this.isolateLeader();
      case 'crashOrRestart':
        return this.crashOrRestart();
      case 'crashLeader':
        return this.crashLeader();
      case 'campaign':
        return this.campaignRandom();
      case 'transferLeader':
        return this.transferRandom();
      case 'flakyLinks':
        return this.changeLinks();
      case 'confChange':
        return this.confChangeRandom();
      case 'compact':
        return this.compactRandom();
    }
  }

  /** The up node that believes it leads the highest term, if any. */
  private currentLeader(): SimNode | undefined {
    let best: SimNode | undefined;
    let bestTerm = -1;
    for (const n of this.upNodes()) {
      const s = n.node.status();
      if (s.raftState === StateType.Leader && s.term > bestTerm) {
        best = n;
        bestTerm = s.term;
      }
    }
    return best;
  }

  private pick<T>(xs: readonly T[]): T {
    return xs[this.rng.nextInt(xs.length)]!;
  }

  private upNodes(): SimNode[] {
    return [...this.nodes.values()].filter((n) => n.up);
  }

  private tickRandom(): void {
    const up = this.upNodes();
    if (up.length > 0) this.pick(up).node.tick();
  }

  private tickAll(): void {
    for (const n of this.upNodes()) n.node.tick();
  }

  private connected(from: number, to: number): boolean {
    if (this.partition === undefined) return true;
    return this.partition.get(from) === this.partition.get(to);
  }

  private deliverSome(): void {
    const count = 1 + this.rng.nextInt(8);
    const p = this.profile;
    for (let i = 0; i < count && this.network.length > 0; i++) {
      // Reordering: deliver a random message, not the oldest.
      const idx = this.rng.nextInt(Math.min(this.network.length, p.reorderWindow));
      const m = this.network.splice(idx, 1)[0]!;
      const link = `${m.from}>${m.to}`;
      if (this.rng.nextInt(100) < (this.linkDelay.get(link) ?? 0)) {
        // A slow link: the message goes to the back of the queue.
        this.network.push(m);
        continue;
      }
      const roll = this.rng.nextInt(100);
      if (roll < p.lossPct || this.rng.nextInt(100) < (this.linkLoss.get(link) ?? 0)) {
        this.stats.drops++;
        this.reportSnapshot(m, 'failure');
        continue;
      }
      if (roll < p.lossPct + p.dupPct) {
        this.stats.dups++;
        this.network.push(m);
      }
      this.deliver(m);
    }
  }

  private deliverAll(): void {
    const msgs = this.network;
    this.network = [];
    for (const m of msgs) this.deliver(m);
  }

  private deliver(m: Message): void {
    const to = this.nodes.get(m.to);
    if (to === undefined || !to.up || !this.connected(m.from, m.to)) {
      // The transport cannot reach the peer: it reports a lost snapshot, and (when it
      // notices, say on a failed connection) the peer as unreachable.
      this.reportSnapshot(m, 'failure');
      const from = this.nodes.get(m.from);
      if (from?.up === true && this.rng.nextInt(4) === 0) {
        this.stats.unreachableReports++;
        from.node.reportUnreachable(m.to);
      }
      return;
    }
    this.log(`deliver ${describeMessage(m)}`);
    try {
      to.node.step(m);
    } catch (err) {
      // A response from a node outside the configuration is refused by design, and so is a
      // forwarded proposal the receiver cannot take; anything else (a RaftInvariantError
      // above all) is a bug the node would crash on.
      if (!(err instanceof StepPeerNotFoundError || err instanceof ProposalDroppedError)) this.fail(`node ${m.to} failed to step ${describeMessage(m)}: ${String(err)}`);
      this.log(`step error: ${String(err)}`);
    }
    this.reportSnapshot(m, 'finish');
    const pc = this.pendingCrash;
    if (pc !== undefined && (m.from === pc.id || m.to === pc.id) && --pc.after <= 0) {
      this.pendingCrash = undefined;
      const leader = this.nodes.get(pc.id)!;
      if (leader.up && leader.node.status().term === pc.term) {
        this.processReadies();
        this.crash(leader, 'new leader', true);
      }
    }
  }

  /**
   * What a real transport does with a MsgSnap it sent or failed to send: it reports the
   * outcome to the sender (etcd leaves this to the application; without it, a lost snapshot
   * leaves the leader waiting for that follower forever). Only the incarnation that sent it
   * hears of it.
   */
  private reportSnapshot(m: Message, status: 'finish' | 'failure'): void {
    if (m.type !== MessageType.MsgSnap) return;
    const from = this.nodes.get(m.from);
    if (from === undefined || !from.up || this.snapSender.get(m) !== from.incarnation) return;
    this.stats.snapReports++;
    this.log(`report snapshot to ${m.to} on ${m.from}: ${status}`);
    from.node.reportSnapshot(m.to, status);
  }

  private proposeRandom(): void {
    const up = this.upNodes();
    if (up.length === 0) return;
    const n = this.pick(up);
    const data = enc.encode(`p${this.opts.seed}-${this.proposals++}`);
    this.tryPropose(n, data);
  }

  private tryPropose(n: SimNode, data: Uint8Array): void {
    try {
      n.node.propose(data);
      this.stats.proposals++;
    } catch (err) {
      // Dropped proposals are fine.
      if (!(err instanceof ProposalDroppedError)) this.fail(`propose on ${n.id}: ${String(err)}`);
    }
  }

  /**
   * A burst of proposals on the leader, replicated to only some followers, and then
   * (depending on the profile) the leader crashes: uncommitted entries of its term are left
   * on a minority, for a later leader to either finish or overwrite.
   */
  private proposeBurst(): void {
    const leader = this.currentLeader();
    if (leader === undefined) return this.proposeRandom();
    const k = 2 + this.rng.nextInt(7);
    for (let i = 0; i < k; i++) this.tryPropose(leader, enc.encode(`p${this.opts.seed}-${this.proposals++}`));
    this.processReadies();
    if (this.rng.nextInt(100) >= this.profile.burstCrashPct) return;
    // Deliver a few of the leader's messages, then crash it.
    const ms = this.network.filter((m) => m.from === leader.id);
    const deliverN = this.rng.nextInt(Math.min(ms.length, 4) + 1);
    for (let i = 0; i < deliverN; i++) {
      const m = ms[this.rng.nextInt(ms.length)]!;
      const at = this.network.indexOf(m);
      if (at >= 0) this.network.splice(at, 1);
      this.deliver(m);
    }
    if (leader.up) this.crash(leader, 'burst leader', true);
  }

  private changePartition(): void {
    if (this.partition !== undefined && this.rng.nextInt(2) === 0) {
      this.partition = undefined;
      this.log('heal partition');
      return;
    }
    const p = new Map<number, number>();
    for (const id of this.allIds) p.set(id, this.rng.nextInt(2));
    this.setPartition(p);
  }

  private setPartition(p: Map<number, number>): void {
    this.stats.partitions++;
    this.partition = p;
    this.log(`partition ${[...p].map(([id, side]) => `${id}:${side}`).join(' ')}`);
  }

  /**
   * Cuts the leader off with at most a minority (it keeps taking proposals it cannot
   * commit), or heals: the classic way to leave long uncommitted tails of an old term.
   */
  private isolateLeader(): void {
    const leader = this.currentLeader();
    if (leader === undefined || (this.partition !== undefined && this.rng.nextInt(2) === 0)) {
      this.partition = undefined;
      this.log('heal partition');
      return;
    }
    const others = this.allIds.filter((id) => id !== leader.id);
    const p = new Map<number, number>();
    for (const id of this.allIds) p.set(id, 0);
    p.set(leader.id, 1);
    const buddies = this.rng.nextInt(Math.floor((this.opts.nodes - 1) / 2) + 1);
    for (let i = 0; i < buddies; i++) p.set(this.pick(others), 1);
    this.setPartition(p);
  }

  /** Re-draws the per-link loss and delay: a few directed links become lossy or slow. */
  private changeLinks(): void {
    this.linkLoss.clear();
    this.linkDelay.clear();
    if (this.rng.nextInt(3) === 0) {
      this.log('links healed');
      return;
    }
    const k = 1 + this.rng.nextInt(4);
    for (let i = 0; i < k; i++) {
      const from = this.pick(this.voters);
      const to = this.pick(this.voters);
      if (from === to) continue;
      if (this.rng.nextInt(2) === 0) this.linkLoss.set(`${from}>${to}`, this.pick([30, 60, 90, 100]));
      else this.linkDelay.set(`${from}>${to}`, this.pick([50, 80, 95]));
    }
    this.log(`links: loss ${JSON.stringify([...this.linkLoss])} delay ${JSON.stringify([...this.linkDelay])}`);
  }

  /** Crashes a node; a reboot brings it back after a short random downtime. */
  private crash(n: SimNode, why: string, reboot = false): void {
    // A crash loses everything not in durable storage (in-flight messages to it too).
    n.up = false;
    n.restartAt = reboot ? this.stepNo + 1 + this.rng.nextInt(this.profile.rebootSteps) : undefined;
    const lossPct = this.profile.sendBufferLossPct;
    if (lossPct > 0) this.network = this.network.filter((m) => m.from !== n.id || this.rng.nextInt(100) >= lossPct);
    this.stats.crashes++;
    if (n.node.status().raftState === StateType.Leader) this.stats.leaderCrashes++;
    this.log(`crash ${n.id} (${why})`);
  }

  private downCount(): number {
    let c = 0;
    for (const n of this.nodes.values()) if (!n.up) c++;
    return c;
  }

  private crashOrRestart(): void {
    const n = this.pick([...this.nodes.values()]);
    if (n.up) {
      if (this.downCount() < this.profile.maxDown) this.crash(n, 'random');
    } else {
      this.restart(n);
    }
  }

  /** Crashes the leader, or restarts a crashed node when there is none. */
  private crashLeader(): void {
    const leader = this.currentLeader();
    if (leader !== undefined) return this.crash(leader, 'leader', true);
    const down = [...this.nodes.values()].filter((n) => !n.up);
    if (down.length > 0) this.restart(this.pick(down));
  }

  /** A forced election on a random node (a PreVote round first when enabled). */
  private campaignRandom(): void {
    const up = this.upNodes();
    if (up.length === 0) return;
    const n = this.pick(up);
    this.stats.campaigns++;
    this.log(`campaign ${n.id}`);
    n.node.campaign();
  }

  /** Asks a random node to move leadership to a random voter (it skips the vote lease). */
  private transferRandom(): void {
    const up = this.upNodes();
    if (up.length === 0) return;
    const n = this.pick(up);
    const to = this.pick(this.voters);
    this.log(`transfer leadership to ${to} via ${n.id}`);
    n.node.transferLeader(to);
  }

  private restart(n: SimNode): void {
    n.node = this.newNode(n.id, n.storage, n.appliedIndex);
    n.up = true;
    n.restartAt = undefined;
    n.incarnation++;
    this.log(`restart ${n.id} applied=${n.appliedIndex}`);
  }

  private confChangeRandom(): void {
    const up = this.upNodes();
    const leader = up.find((n) => n.node.status().raftState === StateType.Leader);
    if (leader === undefined) return;
    const cs = leader.node.status().config;
    const changes: ConfChangeSingle[] = [];
    const id = this.pick(this.allIds);
    const isVoter = cs.voters.includes(id) || cs.votersOutgoing.includes(id);
    const isLearner = cs.learners.includes(id);
    if (isVoter && cs.voters.length > 3) changes.push({ type: ConfChangeType.ConfChangeRemoveNode, nodeId: id });
    else if (isLearner) changes.push({ type: ConfChangeType.ConfChangeAddNode, nodeId: id });
    else if (!isVoter) changes.push({ type: ConfChangeType.ConfChangeAddLearnerNode, nodeId: id });
    if (changes.length === 0) return;
    const transition = this.pick([
      ConfChangeTransition.ConfChangeTransitionAuto,
      ConfChangeTransition.ConfChangeTransitionJointImplicit,
      ConfChangeTransition.ConfChangeTransitionJointExplicit,
    ]);
    const cc: ConfChangeV2 = { transition, changes };
    try {
      if (cs.votersOutgoing.length > 0) leader.node.proposeConfChange({ transition: ConfChangeTransition.ConfChangeTransitionAuto, changes: [] });
      else leader.node.proposeConfChange(cc);
      this.stats.confChanges++;
      this.log(`propose conf change on ${leader.id}: ${JSON.stringify(cc)}`);
    } catch (err) {
      if (!(err instanceof ProposalDroppedError)) this.fail(`conf change on ${leader.id}: ${String(err)}`);
    }
  }

  private compactRandom(): void {
    const n = this.pick(this.upNodes().length > 0 ? this.upNodes() : [...this.nodes.values()]);
    if (n.appliedIndex <= n.storage.snapshot().metadata.index + 2) return;
    this.snapshotNode(n);
  }

  /** Snapshots a node's state machine at its applied index and compacts its log there. */
  private snapshotNode(n: SimNode): void {
    if (n.appliedIndex <= n.storage.snapshot().metadata.index || n.confState === undefined) return;
    const data = enc.encode(JSON.stringify(n.applied));
    n.storage.createSnapshot(n.appliedIndex, n.confState, data);
    n.storage.compact(n.appliedIndex);
    this.stats.snapshots++;
    this.log(`compact ${n.id} to ${n.appliedIndex}`);
  }

  private processReadies(): void {
    for (const n of this.nodes.values()) {
      if (!n.up) continue;
      while (n.node.hasReady()) this.handleReady(n, n.node.ready());
    }
  }

  private handleReady(n: SimNode, rd: Ready): void {
    if (rd.softState?.raftState === StateType.Leader) this.onLeader(n);
    if (rd.snapshot !== undefined && !isEmptySnapshot(rd.snapshot)) {
      n.storage.applySnapshot(rd.snapshot);
      n.applied = JSON.parse(dec.decode(rd.snapshot.data)) as SimNode['applied'];
      // The snapshot's state machine is made of committed entries only.
      for (const a of n.applied) this.recordCommitted(a.index, a.key, `snapshot installed on ${n.id}`);
      n.appliedIndex = rd.snapshot.metadata.index;
      n.confState = rd.snapshot.metadata.confState;
      this.log(`${n.id} installed snapshot at ${n.appliedIndex}`);
    }
    n.storage.append(rd.entries);
    if (rd.hardState !== undefined) n.storage.setHardState(rd.hardState);
    for (const m of [...rd.messages, ...rd.persistedMessages]) {
      if (m.type === MessageType.MsgSnap) this.snapSender.set(m, n.incarnation);
      this.network.push(m);
    }
    for (const e of rd.committedEntries) this.apply(n, e);
    n.node.advance(rd);
  }

  /** State machine safety: at most one entry is ever committed at an index. */
  private recordCommitted(index: number, key: string, who: string): void {
    const prev = this.committed.get(index);
    if (prev === undefined) this.committed.set(index, key);
    else if (prev !== key) this.fail(`${who}: ${key} at ${index}, but ${prev} was committed there`);
    this.maxCommitted = Math.max(this.maxCommitted, index);
  }

  private apply(n: SimNode, e: Entry): void {
    if (e.index !== n.appliedIndex + 1) this.fail(`node ${n.id} applied index ${e.index} after ${n.appliedIndex}`);
    const key = entryKey(e);
    this.recordCommitted(e.index, key, `node ${n.id} applied`);
    n.applied.push({ index: e.index, term: e.term, key });
    n.appliedIndex = e.index;
    if (e.type === EntryType.EntryConfChange) n.confState = n.node.applyConfChange(decodeConfChange(e.data));
    else if (e.type === EntryType.EntryConfChangeV2) n.confState = n.node.applyConfChange(decodeConfChangeV2(e.data));
  }

  private onLeader(n: SimNode): void {
    this.stats.leadersElected++;
    const term = n.node.status().term;
    this.log(`${n.id} became leader at term ${term}`);
    // Election safety, as soon as the node knows (a leader may not survive to the next check).
    const prev = this.leaders.get(term);
    if (prev === undefined) this.leaders.set(term, n.id);
    else if (prev !== n.id) this.fail(`two leaders in term ${term}: ${prev} and ${n.id}`);
    if (!this.settling && this.pendingCrash === undefined && this.rng.nextInt(100) < this.profile.crashNewLeaderPct) {
      // Crash it once its first few appends of the new term are out (Figure 8's schedule).
      this.pendingCrash = { id: n.id, term, after: this.rng.nextInt(this.profile.crashNewLeaderAfter) };
    }
    // Leader completeness (§5.4): the new leader's log holds every committed entry.
    const log = n.node.internal.raftLog;
    const first = log.firstIndex();
    for (let i = first; i <= this.maxCommitted; i++) {
      const want = this.committed.get(i);
      if (want === undefined) continue;
      const t = log.termOrUndefined(i);
      if (t === undefined) this.fail(`leader ${n.id} of term ${term} is missing committed entry ${i}`);
      if (!want.startsWith(`${t}/${i}/`)) this.fail(`leader ${n.id} of term ${term} has term ${t} at ${i}, committed was ${want}`);
    }
  }

  private checkInvariants(full: boolean): void {
    for (const n of this.nodes.values()) {
      if (!n.up) continue;
      const s = n.node.status();
      if (s.raftState === StateType.Leader) {
        const prev = this.leaders.get(s.term);
        if (prev === undefined) this.leaders.set(s.term, n.id);
        else if (prev !== n.id) this.fail(`two leaders in term ${s.term}: ${prev} and ${n.id}`);
      }
      // Applied sequences are consistent with the committed map (checked in apply) and contiguous.
      if (s.commit < n.appliedIndex) this.fail(`node ${n.id} applied ${n.appliedIndex} beyond commit ${s.commit}`);
      this.checkCommitted(n);
    }
    if (full) this.checkLogMatching();
  }

  /**
   * State machine safety at commit time, not only at apply time: every entry a node
   * considers committed must be the one committed anywhere else at that index, and a
   * node's commit index never goes back, not even across a restart.
   */
  private checkCommitted(n: SimNode): void {
    const log = n.node.internal.raftLog;
    const commit = log.committed;
    if (commit < n.checkedCommit) this.fail(`node ${n.id} commit went back from ${n.checkedCommit} to ${commit}`);
    const lo = Math.max(n.checkedCommit + 1, log.firstIndex());
    if (lo <= commit) {
      for (const e of log.slice(lo, commit + 1, Infinity)) this.recordCommitted(e.index, entryKey(e), `node ${n.id} committed`);
    }
    n.checkedCommit = commit;
  }

  /** Log matching (§5.3): same index and term implies identical prefixes. */
  private checkLogMatching(): void {
    const logs = [...this.nodes.values()].filter((n) => n.up).map((n) => ({ id: n.id, log: n.node.internal.raftLog }));
    for (let a = 0; a < logs.length; a++) {
      for (let b = a + 1; b < logs.length; b++) {
        const la = logs[a]!.log;
        const lb = logs[b]!.log;
        const lo = Math.max(la.firstIndex(), lb.firstIndex());
        const hi = Math.min(la.lastIndex(), lb.lastIndex());
        let matchedAbove = false;
        for (let i = hi; i >= lo; i--) {
          const ta = la.termOrUndefined(i);
          const tb = lb.termOrUndefined(i);
          if (ta === tb) matchedAbove = true;
          else if (matchedAbove) this.fail(`log matching broken between ${logs[a]!.id} and ${logs[b]!.id} at index ${i}`);
        }
        if (matchedAbove && lo <= hi) {
          const ea = la.slice(lo, hi + 1, Infinity);
          const eb = lb.slice(lo, hi + 1, Infinity);
          for (let k = ea.length - 1; k >= 0; k--) {
            if (ea[k]!.term !== eb[k]!.term) break;
            if (entryKey(ea[k]!) !== entryKey(eb[k]!)) this.fail(`entries differ at ${ea[k]!.index} with equal terms`);
          }
        }
      }
    }
  }
}
