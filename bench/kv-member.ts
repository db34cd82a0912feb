/**
 * One raftkit/kv member of the KV process benchmark (bench/kv-procs.bench.ts), as its own
 * process, forked with an IPC channel: a Replica on LevelStorage (classic-level, fsync per
 * Ready), TcpTransport on loopback, a KvStateMachine in the same database and a KvClient. When
 * asked, it generates load itself (the embedded way) and reports latencies, counts watch events,
 * bulk-loads keys, and reports its memory.
 *
 * Usage (by the benchmark): `fork('bench/kv-member.ts', [id, dir, peers, snapshotEvery])`.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { LevelStorage, Replica, TcpTransport } from '../src/index.js';
import { KvClient, KvStateMachine } from '../src/kv/index.js';
import { peakRssMiB } from './cluster-procs.js';
import { memberArgv, runForkedMember, Samples } from './util.js';

/** The kinds of closed-loop load. */
export type KvLoadKind = 'put' | 'range-linearizable' | 'range-serializable';

/** What the parent asks. */
export type KvMemberRequest =
  | { type: 'load'; kind: KvLoadKind; inflight: number; ms: number; warmMs: number; keys: number }
  | { type: 'fill'; from: number; count: number; perTxn: number; inflight: number }
  | { type: 'watch'; ms: number }
  | { type: 'memory' }
  | { type: 'status' };

/** Latency percentiles and throughput of one load. */
export interface KvLoadResult {
  ops: number;
  ms: number;
  p50: number;
  p99: number;
  loopP99: number;
}

/** What a member answers. */
export type KvMemberReply =
  | { type: 'started' }
  | { type: 'leader'; leader: number; term: number }
  | ({ type: 'load'; ok: true } & KvLoadResult)
  | { type: 'load'; ok: false; error: string }
  | { type: 'fill'; ok: boolean; ms: number; revision: number; error?: string }
  | { type: 'watch'; events: number; ms: number; p50: number; p99: number }
  | { type: 'memory'; heapMiB: number; externalMiB: number; arrayBuffersMiB: number; rssMiB: number; peakRssMiB: number; keys: number }
  | { type: 'status'; leader: number; term: number; applied: number; revision: number; snapshots: string[] };

const VALUE_BYTES = 256;

/** Key `n` as 8 bytes (zero-padded decimal). */
export function kvKey(n: number): string {
  return String(n % 100_000_000).padStart(8, '0');
}

/** A 256-byte value whose first 8 bytes are the absolute time in ms (for watch latency). */
function stampedValue(): Uint8Array {
  const v = new Uint8Array(VALUE_BYTES).fill(7);
  new DataView(v.buffer).setFloat64(0, performance.timeOrigin + performance.now());
  return v;
}

async function main(): Promise<Replica> {
  const { id, dir, peers, host, port, extra: everyArg } = memberArgv();
  const storage = await LevelStorage.open({ path: dir });
  const sm = new KvStateMachine({ storage });
  const transport = new TcpTransport({ id, host, port, clusterId: 'kv-bench' });
  const replica = await Replica.start({
    id,
    peers,
    storage,
    transport,
    stateMachine: sm,
    // etcd's defaults: 100 ms heartbeat, 1 s election timeout.
    tickMs: 100,
    electionTick: 10,
    heartbeatTick: 1,
    snapshotEvery: Number(everyArg ?? 100_000),
    compactionTail: 10,
    maxPendingProposals: 4096,
  });
  const kv = new KvClient(replica, { maxTxnOps: 100_000 });
  const snapshots: string[] = [];
  const send = (m: KvMemberReply): void => {
    process.send?.(m);
  };
  replica.on('leader-change', (leader, term) => send({ type: 'leader', leader, term }));
  replica.on('snapshot', (kind, index) => snapshots.push(`${kind}@${index}`));

  async function load(m: Extract<KvMemberRequest, { type: 'load' }>): Promise<KvLoadResult> {
    const lat = new Samples();
    const loop = monitorEventLoopDelay({ resolution: 1 });
    let n = id * 10_000_000;
    let measuring = false;
    let ops = 0;
    const warmEnd = performance.now() + m.warmMs;
    const end = warmEnd + m.ms;
    let start = warmEnd;
    const one = (i: number): Promise<unknown> => {
      switch (m.kind) {
        case 'put':
          return kv.put(kvKey(i), stampedValue());
        case 'range-linearizable':
          return kv.range(kvKey(i % m.keys));
        case 'range-serializable':
          return kv.range(kvKey(i % m.keys), { serializable: true });
      }
    };
    const worker = async (): Promise<void> => {
      for (let now = performance.now(); now < end; now = performance.now()) {
        if (!measuring && now >= warmEnd) {
          measuring = true;
          start = now;
          loop.enable();
        }
        const t = performance.now();
        await one(n++);
        if (measuring) {
          lat.push(performance.now() - t);
          ops++;
        }
      }
    };
    await Promise.all(Array.from({ length: m.inflight }, worker));
    loop.disable();
    return { ops, ms: performance.now() - start, p50: lat.percentile(50), p99: lat.percentile(99), loopP99: loop.percentile(99) / 1e6 };
  }

  async function fill(m: Extract<KvMemberRequest, { type: 'fill' }>): Promise<KvMemberReply> {
    const t0 = performance.now();
    const value = new Uint8Array(VALUE_BYTES).fill(9);
    let next = m.from;
    const end = m.from + m.count;
    let revision = 0;
    const worker = async (): Promise<void> => {
      while (next < end) {
        const first = next;
        next = Math.min(end, next + m.perTxn);
        const success = [];
        for (let i = first; i < next; i++) success.push({ requestPut: { key: kvKey(i), value } });
        // A txn that timed out may still commit: trying it again only adds revisions of the same keys.
        for (let attempt = 1; ; attempt++) {
          try {
            revision = Math.max(revision, (await kv.txn({ compare: [], success })).header.revision);
            break;
          } catch (err) {
            if (attempt === 5) throw err;
          }
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: m.inflight }, worker));
      return { type: 'fill', ok: true, ms: performance.now() - t0, revision };
    } catch (err) {
      return { type: 'fill', ok: false, ms: performance.now() - t0, revision, error: String(err) };
    }
  }

  async function watch(ms: number): Promise<KvMemberReply> {
    const w = kv.watch('\0', { rangeEnd: '\0' });
    const lat = new Samples();
    let events = 0;
    const t0 = performance.now();
    const stop = setTimeout(() => w.cancel(), ms);
    for await (const b of w) {
      const now = performance.timeOrigin + performance.now();
      for (const e of b.events) {
        events++;
        if (e.kv.value.length >= 8) lat.push(now - new DataView(e.kv.value.buffer, e.kv.value.byteOffset, 8).getFloat64(0));
      }
    }
    clearTimeout(stop);
    return { type: 'watch', events, ms: performance.now() - t0, p50: lat.percentile(50), p99: lat.percentile(99) };
  }

  process.on('message', (m: KvMemberRequest) => {
    switch (m.type) {
      case 'load':
        load(m).then(
          (r) => send({ type: 'load', ok: true, ...r }),
          (err: unknown) => send({ type: 'load', ok: false, error: String(err) }),
        );
        return;
      case 'fill':
        void fill(m).then(send);
        return;
      case 'watch':
        void watch(m.ms).then(send);
        return;
      case 'memory': {
        globalThis.gc?.();
        const u = process.memoryUsage();
        send({ type: 'memory', heapMiB: u.heapUsed / 2 ** 20, externalMiB: u.external / 2 ** 20, arrayBuffersMiB: u.arrayBuffers / 2 ** 20, rssMiB: u.rss / 2 ** 20, peakRssMiB: peakRssMiB(process.pid), keys: sm.store.index.size });
        return;
      }
      case 'status': {
        const s = replica.status();
        send({ type: 'status', leader: s.leader, term: s.term, applied: s.applied, revision: sm.store.visibleRev, snapshots });
        return;
      }
    }
  });
  return replica;
}

runForkedMember(main);
