import { KvClient } from '../../../../src/kv/kv-client.js';
import { KvStateMachine } from '../../../../src/kv/kv-state-machine.js';
import { WatchFilterType, type WatchBatch } from '../../../../src/kv/watch/types.js';
import type { Watcher } from '../../../../src/kv/watch/watcher.js';
import type { Event, RequestOp } from '../../../../src/kv/types.js';
import { SeededRng } from '../../../../src/raft/rng.js';
import type { Replica } from '../../../../src/replica/replica.js';
import type { ChaosCounts } from '../../../../src/testing/sim/chaos.js';
import { SimCluster } from '../../../../src/testing/sim/cluster.js';
import type { SimStats } from '../../../../src/testing/sim/stats.js';
import { runWorkload, type WorkloadCounts } from '../../../../src/testing/sim/workload.js';
import { checkWatchStreams, type CommittedRevision, type ObservedBatch, type WatchCheckEvent, type WatchCheckSpec, type WatchStream, type WatchViolation } from '../../../../src/testing/watch-check.js';

/** Options of one KV-with-watches run. */
export interface KvWatchOptions {
  members: 3 | 5;
  seed: number;
  /** Client writes in the run. */
  ops: number;
  clients?: number;
}

/** What one run produced. */
export interface KvWatchResult {
  seed: number;
  /** Broken watch guarantees. */
  violations: WatchViolation[];
  /** Other failures: members whose history differs, acknowledged writes not in the history at their revision. */
  problems: string[];
  endRevision: number;
  counts: WorkloadCounts;
  watch: { streams: number; resumes: number; crashResumes: number; moves: number; batches: number; events: number; progress: number; slowFallbacks: number; restores: number };
  stats: SimStats;
  chaos: ChaosCounts;
  traceTail: string;
}

const dec = (b: Uint8Array): string => new TextDecoder().decode(b);
const KEYS = ['k0', 'k1', 'k2', 'k3', 'k4', 'k5'];
const ALL: WatchCheckSpec = { key: 'k', rangeEnd: 'l', prevKv: true };
const MIDDLE: WatchCheckSpec = { key: 'k1', rangeEnd: 'k4', noDelete: true };
const ONE: WatchCheckSpec = { key: 'k2', rangeEnd: '' };

/** A client write and what its acknowledgement promises about the history. */
type Write =
  | { op: 'put'; key: string; value: string }
  | { op: 'delete'; key: string; rangeEnd: string }
  | { op: 'txn'; when: string; success: [string, string][]; del: string; failure: [string, string][] };
type Ack = { revision: number; puts: [string, string][]; deleted: number };

function toEvent(e: Event): WatchCheckEvent {
  const del = e.type === 1;
  const out: WatchCheckEvent = { type: del ? 'DELETE' : 'PUT', key: dec(e.kv.key), value: del ? '' : dec(e.kv.value), modRevision: e.kv.modRevision, createRevision: del ? 0 : e.kv.createRevision, version: del ? 0 : e.kv.version };
  return out;
}

function observed(b: WatchBatch, prevKv: boolean): ObservedBatch {
  const events = b.events.map((e) => {
    const ev = toEvent(e);
    if (prevKv) ev.prevValue = e.prevKv === undefined ? null : dec(e.prevKv.value);
    return ev;
  });
  return { revision: b.header.revision, events, progressNotify: b.progressNotify, canceled: b.canceled, fragment: b.fragment };
}

function generate(rng: SeededRng, next: () => string): Write {
  const pick = (): string => KEYS[rng.nextInt(KEYS.length)]!;
  const x = rng.nextFloat();
  if (x < 0.45) return { op: 'put', key: pick(), value: next() };
  if (x < 0.6) return { op: 'delete', key: pick(), rangeEnd: '' };
  if (x < 0.68) return { op: 'delete', key: 'k3', rangeEnd: 'k6' };
  const keys = [...KEYS].sort(() => rng.nextFloat() - 0.5);
  const [a, b, c] = keys as [string, string, string];
  return { op: 'txn', when: a, success: [[a, next()], [b, next()]], del: c, failure: [[c, next()], [a, next()]] };
}

async function execute(kv: KvClient, w: Write): Promise<Ack> {
  switch (w.op) {
    case 'put': {
      const r = await kv.put(w.key, w.value);
      return { revision: r.header.revision, puts: [[w.key, w.value]], deleted: 0 };
    }
    case 'delete': {
      const r = await kv.deleteRange(w.key, { rangeEnd: w.rangeEnd });
      return { revision: r.header.revision, puts: [], deleted: r.deleted };
    }
    case 'txn': {
      const put = ([key, value]: [string, string]): RequestOp => ({ requestPut: { key, value } });
      const r = await kv.txn({
        compare: [{ key: w.when, target: 0, result: 1, version: 1 }],
        success: [...w.success.map(put), { requestDeleteRange: { key: w.del } }],
        failure: w.failure.map(put),
      });
      const deleted = r.succeeded ? (r.responses[2] as { responseDeleteRange: { deleted: number } }).responseDeleteRange.deleted : 0;
      return { revision: r.header.revision, puts: r.succeeded ? w.success : w.failure, deleted };
    }
  }
}

/** One logical watch stream and the loop that keeps it open across crashes and moves. */
class Stream {
  readonly data: WatchStream;
  /** The first revision not yet covered (by events or a progress notification). */
  next = 1;
  current: Watcher | undefined;
  member: number;
  readonly spec: WatchCheckSpec;
  /** Reads slowly (and asks for periodic progress notifications). */
  readonly slow: boolean;
  stats = { resumes: 0, crashResumes: 0, moves: 0, batches: 0, events: 0, progress: 0 };

  constructor(name: string, spec: WatchCheckSpec, member: number, slow: boolean) {
    this.data = { name, spec, segments: [] };
    this.spec = spec;
    this.member = member;
    this.slow = slow;
  }
}

/**
 * One KV-with-watches run on a simulated cluster: `members` KvStateMachines under a seeded
 * fault schedule (partitions, loss, duplication, reordering, delay, crashes with restarts,
 * pauses, skew, slow disks, membership changes — so leaders change), clients writing puts, deletes and txns through
 * random members, and three watch streams per member (all keys with prevKv and progress
 * notifications read slowly, a filtered range, one key). A stream whose member crashes resumes
 * on it after the restart, or on another member, from the last revision it saw; streams also
 * move on their own. At the end the cluster is healed, every stream is brought to the final
 * revision (progress requests), and the streams are checked against the committed history
 * with {@link checkWatchStreams}; every member of the final configuration must hold the same
 * history (and the same HashKV at the end), and every
 * acknowledged write must be in it at its revision.
 */
export async function kvWatchRun(o: KvWatchOptions): Promise<KvWatchResult> {
  const sim = await SimCluster.start<unknown>({
    seed: o.seed,
    members: o.members,
    stateMachine: () => new KvStateMachine({ electionMs: 100 }),
    replica: { snapshotEvery: 25, compactionTail: 4, requestTimeoutMs: 800 },
  });
  const rng = new SeededRng(sim.rng.nextUint32());
  const clients = new Map<Replica, KvClient>();
  let restores = 0;
  const kvOf = (r: Replica): KvClient => {
    let c = clients.get(r);
    if (c === undefined) {
      c = new KvClient(r, { watch: { clock: sim.clock, progressIntervalMs: 400, maxBacklog: 6, revisionsPerRead: 4 }, lease: { clock: sim.clock } });
      c.stateMachine.onRestore((phase) => {
        if (phase === 'end') restores++;
      });
      clients.set(r, c);
    }
    return c;
  };
  const live = (id: number): Replica | undefined => {
    const r = sim.replica(id);
    const st = sim.memberStatus(id)?.state;
    // A member removed while cut off never learns it: the leader's configuration says it is out.
    const cfg = sim.leader()?.status().config;
    if (cfg !== undefined && !cfg.voters.includes(id) && !cfg.learners.includes(id)) return undefined;
    return r !== undefined && (st === 'up' || st === 'paused') && r.lifecycle === 'open' ? r : undefined;
  };
  // Clients of crashed incarnations: stop their timers and watchers.
  const reap = (): void => {
    for (const [r, c] of clients) {
      if (sim.replica(r.id) === r && live(r.id) !== undefined) continue;
      c.watches.close();
      c.lessor.close();
      clients.delete(r);
    }
  };
  await sim.runUntil(() => sim.leader() !== undefined, { timeoutMs: 5000 });

  const streams: Stream[] = [];
  for (const id of sim.ids()) {
    streams.push(new Stream(`m${id}/all`, ALL, id, true), new Stream(`m${id}/k1-k4`, MIDDLE, id, false), new Stream(`m${id}/k2`, ONE, id, false));
  }
  let stopping = false;
  const TICK = Symbol('tick');
  const runStream = async (s: Stream): Promise<void> => {
    let first = true;
    while (!stopping) {
      const replica = live(s.member);
      if (replica === undefined) {
        if (rng.nextFloat() < 0.3) {
          const up = sim.up();
          const to = up[rng.nextInt(Math.max(1, up.length))];
          if (to !== undefined && to !== s.member) {
            s.member = to;
            s.stats.moves++;
          }
        }
        await sim.sleep(50);
        continue;
      }
      if (!first) s.stats.resumes++;
      first = false;
      const seg = { member: s.member, startRevision: s.next, batches: [] as ObservedBatch[] };
      s.data.segments.push(seg);
      const kv = kvOf(replica);
      const w = kv.watch(s.spec.key, {
        rangeEnd: s.spec.rangeEnd,
        startRevision: s.next,
        prevKv: s.spec.prevKv === true,
        progressNotify: s.slow,
        ...(s.spec.noDelete === true ? { filters: [WatchFilterType.NODELETE] } : {}),
      });
      s.current = w;
      const it = w[Symbol.asyncIterator]();
      let pending = it.next();
      for (;;) {
        const r = await Promise.race([pending, sim.sleep(60).then(() => TICK)]);
        if (typeof r === 'symbol') {
          if (stopping) break;
          if (live(seg.member) !== replica) {
            s.stats.crashResumes++;
            break;
          }
          if (rng.nextFloat() < 0.05) w.requestProgress();
          continue;
        }
        if (r.done === true) break;
        const b = observed(r.value, s.spec.prevKv === true);
        seg.batches.push(b);
        s.stats.batches++;
        s.stats.events += b.events.length;
        if (b.progressNotify) s.stats.progress++;
        const lastRev = b.events[b.events.length - 1]?.modRevision;
        if (b.progressNotify) s.next = Math.max(s.next, b.revision + 1);
        else if (lastRev !== undefined && !b.fragment) s.next = Math.max(s.next, lastRev + 1);
        if (b.canceled) break;
        // Now and then the client leaves this member and resumes elsewhere.
        if (!stopping && rng.nextFloat() < 0.03) {
          w.cancel();
          const up = sim.up().filter((x) => x !== s.member);
          const to = up[rng.nextInt(Math.max(1, up.length))];
          if (to !== undefined) {
            s.member = to;
            s.stats.moves++;
          }
          break;
        }
        if (s.slow) await sim.sleep(rng.nextInt(40));
        pending = it.next();
      }
      s.current = undefined;
      reap();
    }
  };
  const loops = Promise.all(streams.map((s) => runStream(s)));

  const chaos = sim.chaos({ membership: 1, spares: [o.members + 1, o.members + 2] });
  let counter = 0;
  const acks: { write: Write; ack: Ack }[] = [];
  const { counts } = await runWorkload<Write, Ack, unknown>(sim, {
    ops: o.ops,
    clients: o.clients ?? 4,
    timeoutMs: 800,
    generate: (r, client) => ({ op: 'write', input: generate(r, () => `${client}.${counter++}`) }),
    execute: async (replica, input) => {
      const ack = await execute(kvOf(replica), input);
      acks.push({ write: input, ack });
      return ack;
    },
  });
  await sim.heal();
  const leader = await sim.settle({ timeoutMs: 30_000 });
  const end = kvOf(leader).stateMachine.store.visibleRev;
  // Bring every stream to the end: progress requests answer at once when a watcher is synced.
  const caughtUp = (): boolean => streams.every((s) => s.next > end);
  const prod = sim.clock.every(100, () => {
    for (const s of streams) if (s.next <= end) s.current?.requestProgress();
  });
  await sim.runUntil(caughtUp, { timeoutMs: 20_000 }).catch(() => undefined);
  prod();
  stopping = true;
  for (const s of streams) s.current?.cancel();
  await sim.drive(loops, { timeoutMs: 5_000 });

  const problems: string[] = [];
  const historyOf = async (r: Replica): Promise<CommittedRevision[]> => {
    const events = await kvOf(r).stateMachine.readEvents('k', 'l', 1, end);
    const out: CommittedRevision[] = [];
    for (const e of events.map(toEvent)) {
      const last = out[out.length - 1];
      if (last?.revision === e.modRevision) last.events.push(e);
      else out.push({ revision: e.modRevision, events: [e] });
    }
    return out;
  };
  const history = await sim.drive(historyOf(leader));
  const text = JSON.stringify(history);
  // Members of the final configuration only (a member removed while cut off never learns it was).
  const cfg = leader.status().config;
  // etcd's HashKV at the end covers every record the members keep (the keys' whole MVCC history, as stored).
  const hashOf = (r: Replica): Promise<string> => kvOf(r).maintenance.hashKV(end).then((h) => `${h.hash}@${h.compactRevision}`, (e: unknown) => String(e));
  const leaderHash = await sim.drive(hashOf(leader));
  for (const id of [...cfg.voters, ...cfg.learners]) {
    const r = live(id);
    if (r === undefined) continue;
    if (JSON.stringify(await sim.drive(historyOf(r))) !== text) problems.push(`member ${id}'s history differs from the leader's`);
    const h = await sim.drive(hashOf(r));
    if (h !== leaderHash) problems.push(`member ${id}'s HashKV at revision ${end} is ${h}, the leader's ${leaderHash}`);
  }
  if (history.some((r, i) => r.revision !== i + 2)) problems.push('the history has a revision without events');
  const byRev = new Map(history.map((r) => [r.revision, r]));
  for (const { write, ack } of acks) {
    const at = byRev.get(ack.revision)?.events ?? [];
    const puts = at.filter((e) => e.type === 'PUT').map((e) => `${e.key}=${e.value}`);
    const want = ack.puts.map(([k, v]) => `${k}=${v}`);
    const dels = at.filter((e) => e.type === 'DELETE').length;
    if (want.length > 0 && JSON.stringify(puts) !== JSON.stringify(want)) problems.push(`acknowledged ${JSON.stringify(write)} at revision ${ack.revision}: committed puts there are ${JSON.stringify(puts)}`);
    if (ack.deleted > 0 && dels !== ack.deleted) problems.push(`acknowledged ${JSON.stringify(write)} deleted ${ack.deleted} at revision ${ack.revision}: committed deletes there: ${dels}`);
  }
  const violations = checkWatchStreams(history, streams.map((s) => s.data), end);
  const slowFallbacks = [...clients.values()].reduce((n, c) => n + c.watches.slowEvents, 0);
  const watch = { streams: streams.length, resumes: 0, crashResumes: 0, moves: 0, batches: 0, events: 0, progress: 0, slowFallbacks, restores };
  for (const s of streams) for (const k of ['resumes', 'crashResumes', 'moves', 'batches', 'events', 'progress'] as const) watch[k] += s.stats[k];
  reap();
  for (const c of clients.values()) c.lessor.close();
  const result = { seed: o.seed, violations, problems, endRevision: end, counts, watch, stats: sim.stats(), chaos: { ...chaos.counts }, traceTail: sim.trace.tail(60) };
  await sim.close();
  return result;
}
