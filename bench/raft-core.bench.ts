/**
 * Raft core benchmark (issue 2): three nodes in one process on in-memory storage, driven
 * by hand through the Ready loop, with messages delivered in-process.
 *
 * Each round drains every node's Ready per the contract (persist to the memory storage,
 * collect the messages, apply the committed entries, advance) and then steps every
 * collected message into its recipient. Two workloads, each on a fresh cluster per run:
 * - `one at a time`: propose on the leader, run rounds until the leader applies it.
 * - `64 in flight`: keep 64 proposals outstanding, refilling before each round.
 * Payloads are 100 bytes. Latency is proposal → applied on the leader (performance.now()).
 *
 * The same driver runs etcd's raft algorithm as ported to TypeScript in the npm package
 * `@coaty/consensus.raft` (its `ported/` folder). It is installed on demand into
 * `.bench-cache/` (gitignored, install scripts disabled) and never becomes a dependency.
 *
 * Prints medians over several runs; `BENCH_RUNS`, `BENCH_RUN_MS` and `BENCH_WARMUP_MS`
 * override the defaults, and `BENCH_ONLY=ours` skips the etcd port (for profiling). Run
 * alone with `npx tsx bench/raft-core.bench.ts`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { Module, createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { EntryType, MemoryStorage, RaftNode, StateType, type Message, type Ready } from '../src/index.js';
import { Samples, fmtFixed, fmtInt, median, opsPerSec, timedLoop, yieldToEventLoop } from './util.js';

const PAYLOAD_BYTES = 100;
const IN_FLIGHT = 64;
const RUNS = envInt('BENCH_RUNS', 5);
const RUN_MS = envInt('BENCH_RUN_MS', 1500);
const WARMUP_MS = envInt('BENCH_WARMUP_MS', 1000);
/** Storage is compacted (on every node, up to the lowest applied index) this often. */
const COMPACT_EVERY = 8192;
const NODE_IDS = [1, 2, 3];
const THEIR_PACKAGE = '@coaty/consensus.raft';
const THEIR_VERSION = '1.0.0';

function envInt(name: string, dflt: number): number {
  const v = Number(process.env[name]);
  return Number.isInteger(v) && v > 0 ? v : dflt;
}

/** What the driver needs from a cluster, whichever Raft implementation runs it. */
interface Cluster {
  /** Proposes one 100-byte payload on the leader. */
  propose(): void;
  /**
   * One delivery round: handles every node's Ready until it has none, then steps the
   * collected messages. Returns whether anything happened.
   */
  round(): boolean;
  /** Compacts every node's storage up to the lowest index applied on all nodes. */
  compact(): void;
  /** The index each node has applied up to. */
  appliedIndexes(): readonly number[];
}

/** Called by a cluster when its leader has applied `n` more proposals. */
type AppliedHook = (n: number) => void;

interface Implementation {
  name: string;
  create(onApplied: AppliedHook): Cluster;
}

/**
 * The delivery round both implementations share, so that they are driven and measured
 * alike: drain every node's Ready, then step the collected messages into their recipients.
 */
abstract class ReadyLoop<N extends { hasReady(): boolean; ready(): R }, R, M> {
  protected readonly nodes: N[] = [];
  /** Messages collected by `handleReady`, stepped at the end of the round. */
  protected outbox: M[] = [];
  private spare: M[] = [];

  /** Persists, collects the messages, applies and advances one Ready of node `i`. */
  protected abstract handleReady(i: number, node: N, rd: R): void;
  /** Steps one message into its recipient. */
  protected abstract deliver(m: M): void;

  round(): boolean {
    let busy = false;
    for (let i = 0; i < this.nodes.length; i++) {
      const node = this.nodes[i]!;
      while (node.hasReady()) {
        busy = true;
        this.handleReady(i, node, node.ready());
      }
    }
    const batch = this.outbox;
    if (batch.length === 0) return busy;
    this.outbox = this.spare;
    for (let k = 0; k < batch.length; k++) this.deliver(batch[k]!);
    batch.length = 0;
    this.spare = batch;
    return true;
  }
}

// ---------------------------------------------------------------------------------------
// raftkit

class OursCluster extends ReadyLoop<RaftNode, Ready, Message> implements Cluster {
  private readonly storages: MemoryStorage[] = [];
  private readonly applied: number[] = [];
  private readonly payload = new Uint8Array(PAYLOAD_BYTES).fill(7);
  private leader = 0;
  private readonly onApplied: AppliedHook;

  constructor(onApplied: AppliedHook) {
    super();
    this.onApplied = onApplied;
    for (const id of NODE_IDS) {
      const storage = new MemoryStorage({ voters: NODE_IDS });
      this.storages.push(storage);
      this.nodes.push(new RaftNode({ id, storage, electionTick: 10, heartbeatTick: 1, maxInflightMsgs: 256, seed: id }));
      this.applied.push(0);
    }
    this.nodes[0]!.campaign();
    for (let i = 0; i < 100 && this.round(); i++);
    const st = this.nodes[0]!.status();
    if (st.raftState !== StateType.Leader) throw new Error('raftkit: node 1 did not become leader');
  }

  propose(): void {
    this.nodes[this.leader]!.propose(this.payload);
  }

  protected deliver(m: Message): void {
    this.nodes[m.to - 1]!.step(m);
  }

  protected handleReady(i: number, node: RaftNode, rd: Ready): void {
    const storage = this.storages[i]!;
    // 1. persist
    if (rd.snapshot !== undefined) storage.applySnapshot(rd.snapshot);
    storage.append(rd.entries);
    if (rd.hardState !== undefined) storage.setHardState(rd.hardState);
    // 2. send (in-process: collected, stepped after every node's Ready is handled)
    const out = this.outbox;
    for (let k = 0; k < rd.messages.length; k++) out.push(rd.messages[k]!);
    for (let k = 0; k < rd.persistedMessages.length; k++) out.push(rd.persistedMessages[k]!);
    // 3. apply
    const ents = rd.committedEntries;
    if (ents.length > 0) {
      let n = 0;
      for (let k = 0; k < ents.length; k++) {
        const e = ents[k]!;
        if (e.type === EntryType.EntryNormal && e.data.length > 0) n++;
      }
      this.applied[i] = ents[ents.length - 1]!.index;
      if (i === this.leader && n > 0) this.onApplied(n);
    }
    // 4. advance
    node.advance(rd);
  }

  compact(): void {
    const to = Math.min(...this.applied);
    for (const s of this.storages) if (to >= s.firstIndex()) s.compact(to);
  }

  appliedIndexes(): readonly number[] {
    return this.applied;
  }
}

const ours: Implementation = { name: 'raftkit', create: (hook) => new OursCluster(hook) };

// ---------------------------------------------------------------------------------------
// etcd's raft, ported by @coaty/consensus.raft (loaded from .bench-cache, typed loosely here)

interface TheirEntry {
  index: number;
  data: unknown;
}
interface TheirMessage {
  to: string;
}
interface TheirReady {
  hardState: { isEmptyHardState(): boolean };
  snapshot: { isEmptySnap(): boolean };
  entries: TheirEntry[];
  committedEntries: TheirEntry[];
  messages: TheirMessage[];
}
interface TheirRawNode {
  raft: { state: number; lead: string };
  hasReady(): boolean;
  ready(): TheirReady;
  advance(rd: TheirReady): void;
  step(m: TheirMessage): Error | null;
  propose(data: unknown): Error | null;
  campaign(): Error | null;
}
interface TheirStorage {
  Append(ents: TheirEntry[]): Error | null;
  SetHardState(hs: unknown): Error | null;
  ApplySnapshot(s: unknown): Error | null;
  Compact(i: number): Error | null;
  firstIndex(): number;
}
interface TheirModules {
  RawNode: { NewRawNode(config: unknown): TheirRawNode };
  RaftConfig: new (init: Record<string, unknown>) => unknown;
  MemoryStorage: new (init: Record<string, unknown>) => TheirStorage;
  Entry: new () => unknown;
  Snapshot: new (init: Record<string, unknown>) => unknown;
  discardLogger: unknown;
  stateLeader: number;
}

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const cacheDir = join(repoRoot, '.bench-cache');
const theirDir = join(cacheDir, 'node_modules', ...THEIR_PACKAGE.split('/'));

/**
 * Installs the package into `.bench-cache/` unless it is there already, and loads only its
 * `ported/` files. Returns a reason string when that is not possible.
 */
function loadTheirs(): TheirModules | string {
  if (!existsSync(join(theirDir, 'ported', 'rawnode.js'))) {
    console.log(`installing ${THEIR_PACKAGE}@${THEIR_VERSION} into .bench-cache/ (once; install scripts disabled)…`);
    mkdirSync(cacheDir, { recursive: true });
    const res = spawnSync(
      'npm',
      ['install', '--prefix', cacheDir, '--no-save', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error', `${THEIR_PACKAGE}@${THEIR_VERSION}`],
      { cwd: repoRoot, encoding: 'utf8', timeout: 180_000 },
    );
    if (res.status !== 0 || !existsSync(join(theirDir, 'ported', 'rawnode.js'))) {
      const lines = res.stderr.split('\n').filter((l) => l.startsWith('npm error') && !l.includes('complete log'));
      const why = res.error?.message ?? lines[0] ?? `npm exited with ${res.status}`;
      return `could not install ${THEIR_PACKAGE} (${why})`;
    }
  }
  try {
    const req = createRequire(join(theirDir, 'package.json'));
    // The ported files import only `emptyRaftData` (null) from the non-ported controller,
    // which would pull in @coaty/core and sqlite3's native binding (not built: install
    // scripts are off). Pre-seed the module cache with just that export.
    const controller = req.resolve('./non-ported/raft-controller.js');
    if (req.cache[controller] === undefined) {
      const stub = new Module(controller);
      stub.filename = controller;
      stub.loaded = true;
      stub.exports = { emptyRaftData: null };
      req.cache[controller] = stub;
    }
    const rawnode = req('./ported/rawnode.js');
    const raft = req('./ported/raft.js');
    const storage = req('./ported/storage.js');
    const pb = req('./ported/raftpb/raft.pb.js');
    const logger = req('./ported/logger.js');
    logger.setLogger(logger.discardLogger);
    return {
      RawNode: rawnode.RawNode,
      RaftConfig: raft.RaftConfig,
      MemoryStorage: storage.MemoryStorage,
      Entry: pb.Entry,
      Snapshot: pb.Snapshot,
      discardLogger: logger.discardLogger,
      stateLeader: raft.StateType.StateLeader,
    };
  } catch (err) {
    return `could not load ${THEIR_PACKAGE}/ported (${String(err).split('\n')[0]})`;
  }
}

function check(err: Error | null): void {
  if (err !== null) throw err;
}

class TheirCluster extends ReadyLoop<TheirRawNode, TheirReady, TheirMessage> implements Cluster {
  private readonly storages: TheirStorage[] = [];
  private readonly applied: number[] = [];
  /** Their entries carry JSON data; a 100-character string is a 100-byte payload. */
  private readonly payload = 'x'.repeat(PAYLOAD_BYTES);
  private readonly index = new Map<string, number>();
  private leader = 0;
  private readonly onApplied: AppliedHook;

  constructor(t: TheirModules, onApplied: AppliedHook) {
    super();
    this.onApplied = onApplied;
    const voters = NODE_IDS.map(String);
    voters.forEach((id, i) => this.index.set(id, i));
    for (const id of voters) {
      const storage = new t.MemoryStorage({
        ents: [new t.Entry()],
        snapshot: new t.Snapshot({ metadata: { confState: { voters } } }),
      });
      this.storages.push(storage);
      const config = new t.RaftConfig({
        id,
        storage,
        electionTick: 10,
        heartbeatTick: 1,
        maxSizePerMsg: 1024 * 1024,
        maxCommittedSizePerReady: 1024 * 1024,
        maxInflightMsgs: 256,
        logger: t.discardLogger,
      });
      this.nodes.push(t.RawNode.NewRawNode(config));
      this.applied.push(0);
    }
    check(this.nodes[0]!.campaign());
    for (let i = 0; i < 100 && this.round(); i++);
    if (this.nodes[0]!.raft.state !== t.stateLeader) throw new Error(`${THEIR_PACKAGE}: node 1 did not become leader`);
  }

  propose(): void {
    check(this.nodes[this.leader]!.propose(this.payload));
  }

  protected deliver(m: TheirMessage): void {
    check(this.nodes[this.index.get(m.to)!]!.step(m));
  }

  protected handleReady(i: number, node: TheirRawNode, rd: TheirReady): void {
    const storage = this.storages[i]!;
    // 1. persist
    if (!rd.snapshot.isEmptySnap()) check(storage.ApplySnapshot(rd.snapshot));
    check(storage.Append(rd.entries));
    if (!rd.hardState.isEmptyHardState()) check(storage.SetHardState(rd.hardState));
    // 2. send
    const out = this.outbox;
    for (let k = 0; k < rd.messages.length; k++) out.push(rd.messages[k]!);
    // 3. apply
    const ents = rd.committedEntries;
    if (ents.length > 0) {
      let n = 0;
      for (let k = 0; k < ents.length; k++) if (ents[k]!.data !== null) n++;
      this.applied[i] = ents[ents.length - 1]!.index;
      if (i === this.leader && n > 0) this.onApplied(n);
    }
    // 4. advance
    node.advance(rd);
  }

  compact(): void {
    const to = Math.min(...this.applied);
    for (const s of this.storages) if (to >= s.firstIndex()) check(s.Compact(to));
  }

  appliedIndexes(): readonly number[] {
    return this.applied;
  }
}

// ---------------------------------------------------------------------------------------
// the driver

type Mode = 'one at a time' | '64 in flight';
const MODES: readonly Mode[] = ['one at a time', '64 in flight'];

interface RunResult {
  commitsPerSec: number;
  p50Ms: number;
  p99Ms: number;
}

/** Proposal start times, oldest first (the leader applies proposals in order). */
class StartTimes {
  private readonly buf = new Float64Array(1024);
  private head = 0;
  private tail = 0;

  get size(): number {
    return this.tail - this.head;
  }

  push(t: number): void {
    this.buf[this.tail++ & 1023] = t;
  }

  shift(): number {
    return this.buf[this.head++ & 1023]!;
  }
}

const latencies = new Samples();

function measure(impl: Implementation, mode: Mode, ms: number): RunResult {
  const starts = new StartTimes();
  let appliedTotal = 0;
  let sinceCompact = 0;
  latencies.clear();
  const cluster = impl.create((n) => {
    const now = performance.now();
    for (let k = 0; k < n; k++) latencies.push(now - starts.shift());
    appliedTotal += n;
    sinceCompact += n;
  });
  const maybeCompact = (): void => {
    if (sinceCompact >= COMPACT_EVERY) {
      sinceCompact = 0;
      cluster.compact();
    }
  };
  let body: () => number;
  if (mode === 'one at a time') {
    body = () => {
      const before = appliedTotal;
      starts.push(performance.now());
      cluster.propose();
      while (appliedTotal === before) {
        if (!cluster.round()) throw new Error(`${impl.name}: proposal stalled`);
      }
      maybeCompact();
      return appliedTotal - before;
    };
  } else {
    body = () => {
      const before = appliedTotal;
      while (starts.size < IN_FLIGHT) {
        starts.push(performance.now());
        cluster.propose();
      }
      if (!cluster.round()) throw new Error(`${impl.name}: proposals stalled`);
      maybeCompact();
      return appliedTotal - before;
    };
  }
  const res = timedLoop(ms, body);
  // Sanity: once the outstanding proposals settle, every node has applied the same log.
  for (let i = 0; i < 1000 && cluster.round(); i++);
  const applied = cluster.appliedIndexes();
  if (starts.size !== 0 || applied.some((x) => x !== applied[0])) {
    throw new Error(`${impl.name}: cluster did not converge (applied ${applied.join(', ')}, ${starts.size} proposals outstanding)`);
  }
  return { commitsPerSec: opsPerSec(res), p50Ms: latencies.percentile(50), p99Ms: latencies.percentile(99) };
}

/** What the table compares, against what, and the target (printed above it by `npm run bench`). */
export const about = `the raft core alone (no I/O) against ${THEIR_PACKAGE}@${THEIR_VERSION} (a TypeScript port of etcd's raft, installed into .bench-cache/) on the same workload; target: ≥ 3× its commits/s with 64 proposals in flight`;

/** Runs the benchmark, prints medians, p50/p99 latencies and the ours/theirs ratios, and returns the figures. */
export async function run(): Promise<Record<string, unknown>> {
  const impls: Implementation[] = [ours];
  let skipped: string | undefined;
  if (process.env['BENCH_ONLY'] !== 'ours') {
    const t = loadTheirs();
    if (typeof t === 'string') skipped = t;
    else impls.push({ name: 'etcd port', create: (hook) => new TheirCluster(t, hook) });
  }
  console.log(
    `raft core: 3 nodes in one process, MemoryStorage, in-process delivery, ${PAYLOAD_BYTES}-byte payloads; ` +
      `median of ${RUNS} runs × ${RUN_MS} ms after a ${WARMUP_MS} ms warm-up`,
  );
  if (skipped !== undefined) console.log(`  etcd port skipped: ${skipped}`);

  const results = new Map<string, RunResult[]>();
  const key = (impl: Implementation, mode: Mode): string => `${impl.name}|${mode}`;
  for (const impl of impls) {
    for (const mode of MODES) {
      measure(impl, mode, WARMUP_MS);
      results.set(key(impl, mode), []);
      await yieldToEventLoop();
    }
  }
  for (let r = 0; r < RUNS; r++) {
    // Interleave implementations and modes so that drift (thermal, GC) hits them alike.
    for (const impl of impls) {
      for (const mode of MODES) {
        results.get(key(impl, mode))!.push(measure(impl, mode, RUN_MS));
        await yieldToEventLoop();
      }
    }
  }

  const summary = (impl: Implementation, mode: Mode): RunResult => {
    const rs = results.get(key(impl, mode))!;
    return {
      commitsPerSec: median(rs.map((x) => x.commitsPerSec)),
      p50Ms: median(rs.map((x) => x.p50Ms)),
      p99Ms: median(rs.map((x) => x.p99Ms)),
    };
  };
  const theirs = impls[1];
  console.log(
    `  ${'mode'.padEnd(14)} ${'implementation'.padEnd(10)} ${'commits/s'.padStart(11)} ${'p50 µs'.padStart(9)} ${'p99 µs'.padStart(9)}` +
      (theirs !== undefined ? '   ratio ours/theirs' : ''),
  );
  const figures: Record<string, unknown> = {};
  for (const mode of MODES) {
    const a = summary(ours, mode);
    figures[mode] = { [ours.name]: a, ...(theirs !== undefined ? { [theirs.name]: summary(theirs, mode) } : {}) };
    const b = theirs !== undefined ? summary(theirs, mode) : undefined;
    for (const [impl, s] of [[ours, a], ...(theirs !== undefined && b !== undefined ? [[theirs, b] as const] : [])] as const) {
      const ratio = impl === ours && b !== undefined ? `   ${fmtFixed(a.commitsPerSec / b.commitsPerSec, 2, 6)}×` : '';
      console.log(
        `  ${(impl === ours ? mode : '').padEnd(14)} ${impl.name.padEnd(10)} ${fmtInt(s.commitsPerSec, 11)} ${fmtFixed(s.p50Ms * 1000, 1, 9)} ${fmtFixed(s.p99Ms * 1000, 1, 9)}${ratio}`,
      );
    }
  }
  if (theirs !== undefined) {
    const ratio = summary(ours, '64 in flight').commitsPerSec / summary(theirs, '64 in flight').commitsPerSec;
    console.log(`  throughput ratio with ${IN_FLIGHT} in flight: ${ratio.toFixed(2)}× (target ≥ 3×)`);
    return { modes: figures, throughputRatio: ratio, target: '≥ 3×' };
  }
  return { modes: figures, skipped: skipped ?? null };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await run();
}
