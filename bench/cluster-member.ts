/**
 * One raftkit member of the cluster benchmark (bench/cluster.bench.ts), as its own process,
 * forked with an IPC channel: a Replica on LevelStorage or WalStorage (fsync per Ready),
 * TcpTransport on loopback, and a binary KV state machine (8-byte key ‖ 256-byte value).
 * When asked, the leader generates the load itself (the embedded way) and reports latencies.
 *
 * Usage (by the benchmark): `fork('bench/cluster-member.ts', [id, dir, peers, 'level'|'wal'])`.
 * With `BENCH_PROFILE=1` it also samples event-loop delay and the storage's write times.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import {
  LevelStorage,
  Replica,
  TcpTransport,
  WalStorage,
  type Command,
  type StateMachine,
  type Storage,
} from '../src/index.js';
import { traceMember, Tracer, wallNow, type Stamps } from './cluster-trace.js';
import { memberArgv, runForkedMember, Samples } from './util.js';

/** What the parent asks. */
export type MemberRequest =
  | { type: 'load'; inflight: number; ms: number; warmMs: number }
  | { type: 'put'; key: number }
  | { type: 'trace'; start: boolean }
  | { type: 'status' };

/** What a member answers. */
export type MemberReply =
  | { type: 'started' }
  | { type: 'leader'; leader: number; term: number }
  | { type: 'load'; ok: true; ops: number; ms: number; p50: number; p99: number; p999: number; profile?: LoadProfile }
  | { type: 'load'; ok: false; error: string }
  | { type: 'put'; ok: boolean }
  | { type: 'trace'; id: number; rows: Stamps[] }
  | { type: 'status'; leader: number; term: number };

/** Event-loop delay and storage write time percentiles (ms) measured during a load. */
export interface LoadProfile {
  loopP50: number;
  loopP99: number;
  loopMax: number;
  writeP50: number;
  writeP99: number;
  writes: number;
}

const VALUE_BYTES = 256;

class BinaryKv implements StateMachine<number> {
  readonly data = new Map<string, Uint8Array>();
  /** With a tracer: when each key was proposed here, to stamp its index. */
  readonly proposedAt = new Map<string, number>();
  tracer: Tracer | undefined;
  private applied = 0;
  appliedIndex(): number {
    return this.applied;
  }
  apply(commands: readonly Command[]): number[] {
    const out: number[] = [];
    const t = this.tracer?.on === true ? wallNow() : 0;
    for (const c of commands) {
      this.applied = c.index;
      if (c.data.length >= 8) {
        const key = Buffer.from(c.data.buffer, c.data.byteOffset, 8).toString('latin1');
        this.data.set(key, c.data.subarray(8));
        if (t !== 0) {
          this.tracer!.mark(c.index, 'apply', t);
          const at = this.proposedAt.get(key);
          if (at !== undefined) this.tracer!.mark(c.index, 'propose', at);
          this.proposedAt.delete(key);
        }
      }
      out.push(c.index);
    }
    return out;
  }
  snapshot(): Uint8Array {
    return new Uint8Array(0);
  }
  restore(s: { index: number }): void {
    this.applied = s.index;
  }
}

/** The command of a put of key `n` (8 bytes, zero-padded decimal) and a 256-byte value. */
export function putCommand(n: number): Uint8Array {
  const cmd = new Uint8Array(8 + VALUE_BYTES);
  cmd.set(Buffer.from(String(n % 100_000_000).padStart(8, '0'), 'latin1'));
  cmd.fill(n & 0xff, 8);
  return cmd;
}

/** Wraps a storage's `save` to time each call. */
function timedStorage(s: Storage, samples: Samples): Storage {
  const save = s.save.bind(s);
  (s as { save: Storage['save'] }).save = async (req) => {
    const t = performance.now();
    await save(req);
    samples.push(performance.now() - t);
  };
  return s;
}

async function main(): Promise<Replica> {
  const { id, dir, peers, host, port, extra: kind } = memberArgv();
  const writes = new Samples();
  const profiling = process.env['BENCH_PROFILE'] === '1';
  const base: Storage = kind === 'wal' ? await WalStorage.open({ dir }) : await LevelStorage.open({ path: dir });
  const storage = profiling ? timedStorage(base, writes) : base;
  const transport = new TcpTransport({ id, host, port, clusterId: 'bench' });
  const tracer = new Tracer();
  const kv = new BinaryKv();
  if (profiling) {
    traceMember(tracer, storage, transport);
    kv.tracer = tracer;
  }
  const replica = await Replica.start({
    id,
    peers,
    storage,
    transport,
    stateMachine: kv,
    // etcd's defaults: 100 ms heartbeat, 1 s election timeout.
    tickMs: 100,
    electionTick: 10,
    heartbeatTick: 1,
    snapshotEvery: 100_000,
    maxPendingProposals: 4096,
  });
  const send = (m: MemberReply): void => {
    process.send?.(m);
  };
  replica.on('leader-change', (leader, term) => send({ type: 'leader', leader, term }));

  async function load(inflight: number, ms: number, warmMs: number): Promise<MemberReply> {
    if (replica.status().leader !== id) return { type: 'load', ok: false, error: 'not the leader' };
    const lat = new Samples();
    const loop = monitorEventLoopDelay({ resolution: 1 });
    let key = id * 10_000_000;
    let measuring = false;
    let ops = 0;
    const warmEnd = performance.now() + warmMs;
    const end = warmEnd + ms;
    let start = warmEnd;
    const worker = async (): Promise<void> => {
      for (let now = performance.now(); now < end; now = performance.now()) {
        if (!measuring && now >= warmEnd) {
          measuring = true;
          start = now;
          writes.clear();
          loop.enable();
        }
        const t = performance.now();
        const n = key++;
        if (tracer.on) kv.proposedAt.set(String(n % 100_000_000).padStart(8, '0'), wallNow());
        const index = await replica.propose(putCommand(n));
        if (tracer.on) tracer.mark(index, 'resolved');
        if (measuring) {
          lat.push(performance.now() - t);
          ops++;
        }
      }
    };
    await Promise.all(Array.from({ length: inflight }, worker));
    const took = performance.now() - start;
    loop.disable();
    const profile: LoadProfile | undefined = profiling
      ? {
          loopP50: loop.percentile(50) / 1e6,
          loopP99: loop.percentile(99) / 1e6,
          loopMax: loop.max / 1e6,
          writeP50: writes.percentile(50),
          writeP99: writes.percentile(99),
          writes: writes.length,
        }
      : undefined;
    return { type: 'load', ok: true, ops, ms: took, p50: lat.percentile(50), p99: lat.percentile(99), p999: lat.percentile(99.9), ...(profile ? { profile } : {}) };
  }

  process.on('message', (m: MemberRequest) => {
    if (m.type === 'load') {
      load(m.inflight, m.ms, m.warmMs).then(send, (err: unknown) => send({ type: 'load', ok: false, error: String(err) }));
    } else if (m.type === 'trace') {
      if (m.start) tracer.start();
      else tracer.on = false;
      send({ type: 'trace', id, rows: m.start ? [] : [...tracer.rows.values()] });
    } else if (m.type === 'put') {
      replica.propose(putCommand(m.key), { timeoutMs: 250 }).then(
        () => send({ type: 'put', ok: true }),
        () => send({ type: 'put', ok: false }),
      );
    } else {
      const s = replica.status();
      send({ type: 'status', leader: s.leader, term: s.term });
    }
  });
  return replica;
}

runForkedMember(main);
