import { decodeConfChange, decodeConfChangeV2 } from '../../src/raft/conf-change.js';
import type { RaftConfig } from '../../src/raft/config.js';
import { EntryType, isEmptySnapshot, type ConfState, type Entry, type HardState } from '../../src/raft/entry.js';
import { MemoryStorage, type LogStorage } from '../../src/raft/log-storage.js';
import type { Logger } from '../../src/raft/logger.js';
import { MessageType, createMessage, type Message } from '../../src/raft/messages.js';
import { RaftNode } from '../../src/raft/raft-node.js';
import { StateType, type ReadState, type Ready } from '../../src/raft/ready.js';

/** One node of a {@link RaftHarness}: the RaftNode, its storage and what it applied. */
export interface HarnessNode {
  id: number;
  node: RaftNode;
  storage: MemoryStorage;
  /** Every committed entry this node applied, in order. */
  applied: Entry[];
  /** The configuration after the last applied conf change or snapshot. */
  confState: ConfState | undefined;
  /** Every ReadState this node's Readies carried, in order. */
  readStates: ReadState[];
}

/** Options for {@link RaftHarness}. */
export interface HarnessOptions {
  /** Voter ids; nodes are created for each. */
  voters: number[];
  /** Learner ids; nodes are created for each. */
  learners?: number[];
  /** Extra RaftNode config for every node. */
  config?: Partial<Omit<RaftConfig, 'id' | 'storage'>>;
  /** Per-node config overrides. */
  configFor?: (id: number) => Partial<Omit<RaftConfig, 'id' | 'storage'>>;
  /** A logger factory. */
  logger?: (id: number) => Logger;
  /**
   * Wraps a node's MemoryStorage in the LogStorage the RaftNode reads from (for example to
   * inject storage errors). The harness still persists Readies into the MemoryStorage.
   */
  wrapStorage?: (id: number, storage: MemoryStorage) => LogStorage;
}

/** Handles one Ready exactly as the contract says: persist, send, apply, advance. */
export function handleReady(n: HarnessNode, rd: Ready, out: Message[]): void {
  for (const rs of rd.readStates) n.readStates.push(rs);
  // 1. persist
  if (rd.snapshot !== undefined && !isEmptySnapshot(rd.snapshot)) {
    n.storage.applySnapshot(rd.snapshot);
    n.confState = rd.snapshot.metadata.confState;
  }
  n.storage.append(rd.entries);
  if (rd.hardState !== undefined) n.storage.setHardState(rd.hardState);
  // 2. send
  for (const m of rd.messages) out.push(m);
  for (const m of rd.persistedMessages) out.push(m);
  // 3. apply
  for (const e of rd.committedEntries) {
    n.applied.push(e);
    if (e.type === EntryType.EntryConfChange) n.confState = n.node.applyConfChange(decodeConfChange(e.data));
    else if (e.type === EntryType.EntryConfChangeV2) n.confState = n.node.applyConfChange(decodeConfChangeV2(e.data));
  }
  // 4. advance
  n.node.advance(rd);
}

/**
 * An in-process cluster of RaftNodes over MemoryStorage, with a message queue the test
 * controls (deliver, drop, isolate). Deterministic: node seeds are their ids.
 */
export class RaftHarness {
  readonly nodes = new Map<number, HarnessNode>();
  /** Messages sent and not yet delivered. */
  queue: Message[] = [];
  /** Node ids whose links are cut (messages to or from them are dropped). */
  readonly isolated = new Set<number>();
  /** Directed links that are cut, as `from->to`. */
  readonly cut = new Set<string>();
  /** Called with every message just before it is delivered (for counting or recording). */
  onDeliver: ((m: Message) => void) | undefined = undefined;
  private readonly options: HarnessOptions;

  constructor(options: HarnessOptions) {
    this.options = options;
    for (const id of [...options.voters, ...(options.learners ?? [])]) {
      this.nodes.set(id, this.makeNode(id, new MemoryStorage({ voters: options.voters, learners: options.learners ?? [] })));
    }
  }

  private makeNode(id: number, storage: MemoryStorage, applied = 0): HarnessNode {
    const cfg: RaftConfig = {
      electionTick: 10,
      heartbeatTick: 1,
      seed: id,
      ...this.options.config,
      ...(this.options.configFor?.(id) ?? {}),
      id,
      storage: this.options.wrapStorage?.(id, storage) ?? storage,
      applied,
    };
    if (this.options.logger) cfg.logger = this.options.logger(id);
    return { id, node: new RaftNode(cfg), storage, applied: [], confState: undefined, readStates: [] };
  }

  /** Adds a node with an empty log (for joining a running cluster). */
  addNode(id: number, voters: number[] = [], learners: number[] = []): HarnessNode {
    const n = this.makeNode(id, new MemoryStorage({ voters, learners }));
    this.nodes.set(id, n);
    return n;
  }

  /** Restarts a node from its storage, as after a crash (in-memory state is lost). */
  restart(id: number): HarnessNode {
    const old = this.get(id);
    const n = this.makeNode(id, old.storage, old.node.status().applied);
    n.applied = old.applied;
    n.confState = old.confState;
    this.nodes.set(id, n);
    return n;
  }

  /**
   * Snapshots node `id`'s state at its applied index (with its current configuration) and
   * compacts its storage up to that index, as an application does to bound its log.
   * Returns the snapshot index.
   */
  compact(id: number, data: Uint8Array = new Uint8Array(0)): number {
    const n = this.get(id);
    const applied = n.node.status().applied;
    n.storage.createSnapshot(applied, n.node.status().config, data);
    n.storage.compact(applied);
    return applied;
  }

  /** The node with this id. */
  get(id: number): HarnessNode {
    const n = this.nodes.get(id);
    if (n === undefined) throw new Error(`no node ${id}`);
    return n;
  }

  /** Handles every pending Ready of every node once; returns whether anything happened. */
  processReadies(): boolean {
    let any = false;
    for (const n of this.nodes.values()) {
      while (n.node.hasReady()) {
        any = true;
        handleReady(n, n.node.ready(), this.queue);
      }
    }
    return any;
  }

  private dropped(m: Message): boolean {
    return this.isolated.has(m.from) || this.isolated.has(m.to) || this.cut.has(`${m.from}->${m.to}`) || !this.nodes.has(m.to);
  }

  /** Delivers the queued messages (those that pass the filter); returns how many. */
  deliver(filter: (m: Message) => boolean = () => true): number {
    const msgs = this.queue;
    this.queue = [];
    let n = 0;
    for (const m of msgs) {
      if (this.dropped(m) || !filter(m)) continue;
      n++;
      this.onDeliver?.(m);
      try {
        this.get(m.to).node.step(m);
      } catch {
        // dropped proposals and the like are expected under faults
      }
    }
    return n;
  }

  /** Processes readies and delivers messages until nothing is left to do. */
  stabilize(maxRounds = 10_000): void {
    for (let i = 0; i < maxRounds; i++) {
      const a = this.processReadies();
      const b = this.deliver() > 0;
      if (!a && !b && this.queue.length === 0) return;
    }
    throw new Error('harness did not stabilize');
  }

  /** Ticks every node `n` times, stabilizing after each tick. */
  tickAll(n = 1): void {
    for (let i = 0; i < n; i++) {
      for (const node of this.nodes.values()) node.node.tick();
      this.stabilize();
    }
  }

  /** Ticks only the nodes in `ids`, `n` times, stabilizing after each tick. */
  tickNodes(ids: readonly number[], n = 1): void {
    for (let i = 0; i < n; i++) {
      for (const id of ids) this.get(id).node.tick();
      this.stabilize();
    }
  }

  /** Proposes each string as a normal entry on node `id` and stabilizes. */
  propose(id: number, ...data: string[]): void {
    for (const d of data) this.get(id).node.propose(bytes(d));
    this.stabilize();
  }

  /** Ticks only node `id`, `n` times, stabilizing after each tick. */
  tickNode(id: number, n = 1): void {
    for (let i = 0; i < n; i++) {
      this.get(id).node.tick();
      this.stabilize();
    }
  }

  /** Replaces node `id` by one built from `storage` (for example a pre-filled log). */
  replaceStorage(id: number, storage: MemoryStorage): HarnessNode {
    const n = this.makeNode(id, storage);
    this.nodes.set(id, n);
    return n;
  }

  /** Makes `id` campaign and stabilizes. */
  elect(id: number): void {
    this.get(id).node.campaign();
    this.stabilize();
  }

  /** The current leader (by the leaders' own view; the highest term wins), or undefined. */
  leader(): HarnessNode | undefined {
    let best: HarnessNode | undefined;
    for (const n of this.nodes.values()) {
      const s = n.node.status();
      if (s.raftState === 2 && (best === undefined || s.term > best.node.status().term)) best = n;
    }
    return best;
  }

  /** Cuts every link of `id`. */
  isolate(id: number): void {
    this.isolated.add(id);
  }

  /** Heals every cut link. */
  recover(): void {
    this.isolated.clear();
    this.cut.clear();
  }

  /** The data of the normal, non-empty entries a node applied, as strings. */
  appliedData(id: number): string[] {
    const dec = new TextDecoder();
    return this.get(id)
      .applied.filter((e) => e.type === EntryType.EntryNormal && e.data.length > 0)
      .map((e) => dec.decode(e.data));
  }
}

/** UTF-8 bytes of a string. */
export function bytes(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

/** Options for {@link newTestNode}: a single node over a pre-filled MemoryStorage. */
export interface TestNodeOptions {
  /** Voter ids of the configuration (default [1, 2, 3]). */
  voters?: number[];
  /** Learner ids. */
  learners?: number[];
  /** The terms of the entries already in the persisted log, at indexes 1, 2, … */
  logTerms?: number[];
  /** The persisted hard state (default empty; commit must be within the log). */
  hardState?: HardState;
  /** Extra RaftNode config. */
  config?: Partial<Omit<RaftConfig, 'id' | 'storage'>>;
}

/** A normal entry with the given term and index (and optional UTF-8 data). */
export function ent(term: number, index: number, data = ''): Entry {
  return { term, index, type: EntryType.EntryNormal, data: bytes(data) };
}

/**
 * Creates one node (not part of a {@link RaftHarness}) whose storage already holds the given
 * log and hard state, so a unit test can step messages into it directly.
 */
export function newTestNode(id: number, options: TestNodeOptions = {}): HarnessNode {
  const voters = options.voters ?? [1, 2, 3];
  const storage = new MemoryStorage({ voters, learners: options.learners ?? [] });
  storage.append((options.logTerms ?? []).map((t, i) => ent(t, i + 1)));
  if (options.hardState !== undefined) storage.setHardState(options.hardState);
  const node = new RaftNode({ electionTick: 10, heartbeatTick: 1, seed: id, ...options.config, id, storage });
  return { id, node, storage, applied: [], confState: undefined, readStates: [] };
}

/**
 * Handles every pending Ready of a single node (persist, apply, advance) and returns the
 * messages it sent, `messages` and `persistedMessages` together, in order.
 */
export function flush(n: HarnessNode): Message[] {
  const out: Message[] = [];
  while (n.node.hasReady()) handleReady(n, n.node.ready(), out);
  return out;
}

/**
 * Makes a single test node leader through the public API: it campaigns and every other
 * voter grants its (pre-)vote. Everything the node sends on the way is flushed and dropped.
 */
export function electByVotes(n: HarnessNode): void {
  n.node.campaign();
  flush(n);
  for (let round = 0; round < 2 && n.node.status().raftState !== StateType.Leader; round++) {
    const st = n.node.status();
    const pre = st.raftState === StateType.PreCandidate;
    for (const v of st.config.voters) {
      if (v === n.id || n.node.status().raftState !== st.raftState) continue;
      const type = pre ? MessageType.MsgPreVoteResp : MessageType.MsgVoteResp;
      n.node.step(createMessage({ type, from: v, to: n.id, term: pre ? st.term + 1 : st.term }));
      flush(n);
    }
  }
  if (n.node.status().raftState !== StateType.Leader) throw new Error(`node ${n.id} did not become leader`);
}

/** Counts the queued messages of `type` (optionally only those from/to the given nodes). */
export function countQueued(h: RaftHarness, type: MessageType, where: { from?: number; to?: number } = {}): number {
  return h.queue.filter((m) => m.type === type && (where.from === undefined || m.from === where.from) && (where.to === undefined || m.to === where.to))
    .length;
}
