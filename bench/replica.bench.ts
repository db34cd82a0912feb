/**
 * Replica benchmark (issue 4): three Replicas in one process, each on LevelStorage
 * (classic-level in a temp dir, fsync per Ready as the contract demands) talking TcpTransport
 * on loopback, and the same over MemoryStorage + InProcessNetwork. Measures proposals
 * applied per second with 64 in flight (through the leader) and the commit latency, and the
 * fail-over time: from stopping the leader to the first write accepted by the new leader.
 *
 * Run alone with `npx tsx bench/replica.bench.ts`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  InProcessNetwork,
  LevelStorage,
  MemoryStorage,
  Replica,
  StateType,
  TcpTransport,
  type Command,
  type StateMachine,
  type Storage,
  type Transport,
} from '../src/index.js';
import { median, percentile } from './util.js';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 3);
const RUN_MS = Number(process.env['BENCH_RUN_MS'] ?? 2000);
const IN_FLIGHT = 64;
const payload = new Uint8Array(100).fill(7);

class CountingMachine implements StateMachine<number> {
  applied = 0;
  count = 0;
  appliedIndex(): number {
    return this.applied;
  }
  apply(commands: readonly Command[]): number[] {
    return commands.map((c) => {
      this.applied = c.index;
      return ++this.count;
    });
  }
  snapshot(): Uint8Array {
    return new Uint8Array(8);
  }
  restore(s: { index: number }): void {
    this.applied = s.index;
  }
}

interface Setup {
  name: string;
  make(ids: number[]): Promise<{ storage: Storage; transport: Transport; peers: { id: number; address: string }[] }[]>;
  cleanup(): void;
}

function diskTcp(): Setup {
  const dir = mkdtempSync(join(tmpdir(), 'raftkit-bench-'));
  let n = 0;
  return {
    name: 'LevelStorage (classic-level, fsync) + TcpTransport',
    async make(ids) {
      const run = n++;
      const transports = ids.map((id) => new TcpTransport({ id, port: 0, clusterId: 'bench' }));
      await Promise.all(transports.map((t) => t.start()));
      const peers = ids.map((id, i) => ({ id, address: transports[i]!.address! }));
      return Promise.all(
        ids.map(async (id, i) => ({ storage: await LevelStorage.open({ path: join(dir, `r${run}-${id}`) }), transport: transports[i]!, peers })),
      );
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

function memoryInProcess(): Setup {
  return {
    name: 'MemoryStorage + InProcessNetwork',
    make(ids) {
      const net = new InProcessNetwork({ seed: 1 });
      const peers = ids.map((id) => ({ id, address: `inproc://${id}` }));
      return Promise.resolve(ids.map((id) => ({ storage: new MemoryStorage(), transport: net.transport(id), peers })));
    },
    cleanup: () => undefined,
  };
}

async function waitLeader(rs: Replica<number>[]): Promise<Replica<number>> {
  for (;;) {
    const l = rs.find((r) => r.status().role === StateType.Leader);
    if (l !== undefined) return l;
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function oneRun(setup: Setup): Promise<{ opsPerSec: number; p50: number; p99: number; failoverMs: number }> {
  const ids = [1, 2, 3];
  const parts = await setup.make(ids);
  const rs = await Promise.all(
    parts.map((p, i) =>
      Replica.start<number>({ id: ids[i]!, peers: p.peers, storage: p.storage, transport: p.transport, stateMachine: new CountingMachine(), tickMs: 20, electionTick: 10, heartbeatTick: 1, snapshotEvery: 20_000 }),
    ),
  );
  const leader = await waitLeader(rs);
  const lat: number[] = [];
  let done = 0;
  const end = performance.now() + RUN_MS;
  const worker = async (): Promise<void> => {
    while (performance.now() < end) {
      const t = performance.now();
      await leader.propose(payload);
      lat.push(performance.now() - t);
      done++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const secs = (performance.now() - t0) / 1000;
  // Fail-over: stop the leader, time until a new leader accepts a write.
  const k0 = performance.now();
  await leader.stop();
  const rest = rs.filter((r) => r !== leader);
  let failoverMs: number;
  for (;;) {
    const l = rest.find((r) => r.status().role === StateType.Leader);
    if (l !== undefined) {
      try {
        await l.propose(payload, { timeoutMs: 1000 });
        failoverMs = performance.now() - k0;
        break;
      } catch {
        // not yet
      }
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  await Promise.all(rest.map((r) => r.stop()));
  return { opsPerSec: done / secs, p50: percentile(lat, 50), p99: percentile(lat, 99), failoverMs };
}

/** What the table compares, against what, and the target (printed above it by `npm run bench`). */
export const about = 'the whole Replica (core, storage, transport, state machine) in memory and on disk over TCP, and the fail-over time after the leader stops; a reference for regressions, no external baseline';

/** Runs the Replica benchmark, prints medians and returns the figures. */
export async function run(): Promise<Record<string, unknown>> {
  const figures: Record<string, unknown> = {};
  console.log(`replica: 3 Replicas in one process, ${IN_FLIGHT} proposals in flight through the leader, 100-byte commands; median of ${RUNS} runs × ${RUN_MS} ms`);
  console.log('  setup                                                writes/s   p50 ms   p99 ms   fail-over ms (tick 20 ms, electionTick 10)');
  for (const make of [memoryInProcess, diskTcp]) {
    const setup = make();
    try {
      const runs: Awaited<ReturnType<typeof oneRun>>[] = [];
      for (let i = 0; i < RUNS; i++) runs.push(await oneRun(setup));
      const m = (f: (r: (typeof runs)[number]) => number): number => median(runs.map(f));
      figures[setup.name] = { writesPerSec: m((r) => r.opsPerSec), p50Ms: m((r) => r.p50), p99Ms: m((r) => r.p99), failoverMs: m((r) => r.failoverMs) };
      console.log(
        `  ${setup.name.padEnd(52)} ${Math.round(m((r) => r.opsPerSec)).toLocaleString('en-US').padStart(8)} ${m((r) => r.p50).toFixed(2).padStart(8)} ${m((r) => r.p99).toFixed(2).padStart(8)} ${Math.round(m((r) => r.failoverMs)).toString().padStart(8)}`,
      );
    } finally {
      setup.cleanup();
    }
  }
  return figures;
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
