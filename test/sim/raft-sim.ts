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
import type { Message } from '../../src/raft/messages.js';
import { RaftNode } from '../../src/raft/raft-node.js';
import { StateType, type Ready } from '../../src/raft/ready.js';
import { SeededRng } from '../../src/raft/rng.js';
import { describeMessage } from '../../src/raft/describe.js';

/** A violated safety property, with the seed that reproduces it. */
export class SafetyViolation extends Error {}

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
}

/** Options of one simulated run. */
export interface SimOptions {
  seed: number;
  nodes: number;
  steps: number;
  /** Record a trace of everything (for replaying a failing seed). */
  trace?: boolean;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

function entryKey(e: Entry): string {
  return `${e.term}/${e.index}/${e.type}/${dec.decode(e.data)}`;
}

/**
 * A randomized, seeded simulation of a RaftNode cluster: random ticks, message loss,
 * duplication, reordering, partitions, crashes and restarts, proposals, conf changes and
 * log compaction. After every step it checks Raft's safety properties.
 */
export class RaftSim {
  readonly rng: SeededRng;
  readonly nodes = new Map<number, SimNode>();
  private network: Message[] = [];
  private partition: Map<number, number> | undefined;
  /** term -> leader id, over the whole run. */
  private readonly leaders = new Map<number, number>();
  /** index -> committed entry key, as first applied anywhere. */
  private readonly committed = new Map<number, string>();
  private maxCommitted = 0;
  readonly trace: string[] = [];
  private stepNo = 0;
  private proposals = 0;
  readonly stats = { committed: 0, proposals: 0, confChanges: 0, crashes: 0, partitions: 0, drops: 0, dups: 0, snapshots: 0, leadersElected: 0 };
  private readonly preVote: boolean;
  private readonly checkQuorum: boolean;
  private readonly maxSizePerMsg: number;
  private readonly allIds: number[];

  private readonly opts: SimOptions;

  constructor(opts: SimOptions) {
    this.opts = opts;
    this.rng = new SeededRng(opts.seed);
    this.preVote = this.rng.nextInt(2) === 1;
    this.checkQuorum = this.rng.nextInt(2) === 1;
    // Small messages (down to one entry each) make partial replication, and so the
    // Figure 8 hazards of §5.4.2, far more likely.
    this.maxSizePerMsg = this.pick([1, 1, 64, 256, 4096]);
    const voters = Array.from({ length: opts.nodes }, (_, i) => i + 1);
    // Two spare ids that conf changes can add.
    this.allIds = [...voters, opts.nodes + 1, opts.nodes + 2];
    for (const id of this.allIds) {
      // Every node, including the spares that join later, starts from the cluster's initial
      // configuration (as it would from a shared static config); the spares are not members.
      const storage = new MemoryStorage({ voters });
      this.nodes.set(id, { id, node: this.newNode(id, storage, 0), storage, applied: [], appliedIndex: 0, confState: undefined, up: true });
    }
  }

  private newNode(id: number, storage: MemoryStorage, applied: number): RaftNode {
    return new RaftNode({
      id,
      storage,
      applied,
      electionTick: 10,
      heartbeatTick: 1,
      preVote: this.preVote,
      checkQuorum: this.checkQuorum,
      maxSizePerMsg: this.maxSizePerMsg,
      maxInflightMsgs: 4,
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
      this.randomAction();
      this.processReadies();
      this.checkInvariants(this.stepNo % 10 === 0);
    }
    // Heal everything and let the cluster settle: the final state must still be safe.
    this.partition = undefined;
    for (const n of this.nodes.values()) if (!n.up) this.restart(n);
    for (let i = 0; i < 200; i++) {
      for (const n of this.nodes.values()) n.node.tick();
      this.processReadies();
      this.deliverAll();
      this.processReadies();
    }
    this.checkInvariants(true);
    this.stats.committed = this.maxCommitted;
  }

  private randomAction(): void {
    const r = this.rng.nextInt(100);
    if (r < 30) this.tickRandom();
    else if (r < 65) this.deliverSome();
    else if (r < 80) this.proposeRandom();
    else if (r < 84) this.changePartition();
    else if (r < 87) this.crashOrRestart();
    else if (r < 90) this.confChangeRandom();
    else if (r < 93) this.compactRandom();
    else this.tickAll();
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
    for (let i = 0; i < count && this.network.length > 0; i++) {
      // Reordering: deliver a random message, not the oldest.
      const idx = this.rng.nextInt(Math.min(this.network.length, 6));
      const m = this.network.splice(idx, 1)[0]!;
      const roll = this.rng.nextInt(100);
      if (roll < 8) {
        this.stats.drops++;
        continue;
      }
      if (roll < 12) {
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
    if (to === undefined || !to.up || !this.connected(m.from, m.to)) return;
    this.log(`deliver ${describeMessage(m)}`);
    try {
      to.node.step(m);
    } catch (err) {
      this.log(`step error: ${String(err)}`);
    }
  }

  private proposeRandom(): void {
    const up = this.upNodes();
    if (up.length === 0) return;
    const n = this.pick(up);
    const data = enc.encode(`p${this.opts.seed}-${this.proposals++}`);
    try {
      n.node.propose(data);
      this.stats.proposals++;
    } catch {
      // dropped proposals are fine
    }
  }

  private changePartition(): void {
    if (this.partition !== undefined && this.rng.nextInt(2) === 0) {
      this.partition = undefined;
      this.log('heal partition');
      return;
    }
    this.stats.partitions++;
    const p = new Map<number, number>();
    for (const id of this.allIds) p.set(id, this.rng.nextInt(2));
    this.partition = p;
    this.log(`partition ${[...p].map(([id, side]) => `${id}:${side}`).join(' ')}`);
  }

  private crashOrRestart(): void {
    const n = this.pick([...this.nodes.values()]);
    if (n.up) {
      // A crash loses everything not in durable storage (in-flight messages to it too).
      n.up = false;
      this.stats.crashes++;
      this.log(`crash ${n.id}`);
    } else {
      this.restart(n);
    }
  }

  private restart(n: SimNode): void {
    n.node = this.newNode(n.id, n.storage, n.appliedIndex);
    n.up = true;
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
    } catch {
      // dropped
    }
  }

  private compactRandom(): void {
    const n = this.pick(this.upNodes().length > 0 ? this.upNodes() : [...this.nodes.values()]);
    const snapIndex = n.storage.snapshot().metadata.index;
    if (n.appliedIndex <= snapIndex + 2 || n.confState === undefined) return;
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
      n.appliedIndex = rd.snapshot.metadata.index;
      n.confState = rd.snapshot.metadata.confState;
      this.log(`${n.id} installed snapshot at ${n.appliedIndex}`);
    }
    n.storage.append(rd.entries);
    if (rd.hardState !== undefined) n.storage.setHardState(rd.hardState);
    for (const m of rd.messages) this.network.push(m);
    for (const m of rd.persistedMessages) this.network.push(m);
    for (const e of rd.committedEntries) this.apply(n, e);
    n.node.advance(rd);
  }

  private apply(n: SimNode, e: Entry): void {
    if (e.index !== n.appliedIndex + 1) this.fail(`node ${n.id} applied index ${e.index} after ${n.appliedIndex}`);
    const key = entryKey(e);
    const prev = this.committed.get(e.index);
    if (prev === undefined) this.committed.set(e.index, key);
    else if (prev !== key) this.fail(`node ${n.id} applied ${key} at ${e.index}, but ${prev} was committed there`);
    this.maxCommitted = Math.max(this.maxCommitted, e.index);
    n.applied.push({ index: e.index, term: e.term, key });
    n.appliedIndex = e.index;
    if (e.type === EntryType.EntryConfChange) n.confState = n.node.applyConfChange(decodeConfChange(e.data));
    else if (e.type === EntryType.EntryConfChangeV2) n.confState = n.node.applyConfChange(decodeConfChangeV2(e.data));
  }

  private onLeader(n: SimNode): void {
    this.stats.leadersElected++;
    const term = n.node.status().term;
    this.log(`${n.id} became leader at term ${term}`);
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
    }
    if (full) this.checkLogMatching();
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
