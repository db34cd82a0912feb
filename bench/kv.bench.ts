/**
 * raftkit/kv on 3 in-process members (LevelStorage over memory-level, InProcessNetwork, one
 * process): puts (8-byte keys, 256-byte values) with 1 and 64 requests in flight, linearizable
 * and serializable single-key ranges; ops/s, p50/p99. Also the memory of the key index per
 * million keys (heap growth while loading keys into a bare MVCC index).
 */
import { MemoryLevel } from 'memory-level';
import { InProcessNetwork, LevelStorage, Replica, StateType } from '../src/index.js';
import { KvClient, KvStateMachine } from '../src/kv/index.js';
import { TreeIndex } from '../src/kv/mvcc/tree-index.js';
import { percentile } from './util.js';

export const about = 'raftkit/kv puts and ranges on 3 in-process members (memory-level), 1 and 64 in flight, and key-index memory per million keys; a reference for regressions (separate processes over TCP with classic-level: bench/kv-procs.bench.ts)';

async function cluster(): Promise<{ clients: KvClient[]; leader: KvClient; stop: () => Promise<void> }> {
  const net = new InProcessNetwork({ seed: 1 });
  const peers = [1, 2, 3].map((id) => ({ id, address: `inproc://${id}` }));
  const replicas = await Promise.all(peers.map(async ({ id }) => {
    const storage = await LevelStorage.open({ db: new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' }) });
    return Replica.start<unknown>({ id, peers, storage, transport: net.transport(id), stateMachine: new KvStateMachine({ storage }), tickMs: 20, electionTick: 10, heartbeatTick: 1, snapshotEvery: 1_000_000 });
  }));
  const clients = replicas.map((r) => new KvClient(r));
  for (;;) {
    const l = replicas.find((r) => r.status().role === StateType.Leader);
    if (l !== undefined) return { clients, leader: clients[replicas.indexOf(l)]!, stop: async () => { await Promise.all(replicas.map((r) => r.stop())); net.close(); } };
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function measure(total: number, inflight: number, op: (i: number) => Promise<unknown>): Promise<{ opsPerSec: number; p50ms: number; p99ms: number }> {
  const lat = new Float64Array(total);
  let next = 0;
  const start = performance.now();
  await Promise.all(Array.from({ length: inflight }, async () => {
    while (next < total) {
      const i = next++;
      const t = performance.now();
      await op(i);
      lat[i] = performance.now() - t;
    }
  }));
  const ms = performance.now() - start;
  return { opsPerSec: Math.round((total / ms) * 1000), p50ms: +percentile(lat, 50).toFixed(2), p99ms: +percentile(lat, 99).toFixed(2) };
}

const key = (i: number): string => `k${String(i % 100_000).padStart(7, '0')}`;

export async function run(): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const c = await cluster();
  const value = new Uint8Array(256).fill(7);
  for (const inflight of [1, 64]) {
    out[`put x${inflight}`] = await measure(inflight === 1 ? 1000 : 5000, inflight, (i) => c.leader.put(key(i), value));
    out[`range linearizable x${inflight}`] = await measure(inflight === 1 ? 1000 : 5000, inflight, (i) => c.clients[1]!.range(key(i)));
    out[`range serializable x${inflight}`] = await measure(inflight === 1 ? 2000 : 10000, inflight, (i) => c.clients[1]!.range(key(i), { serializable: true }));
  }
  await c.stop();
  for (const [k, v] of Object.entries(out)) console.log(`${k.padEnd(28)} ${JSON.stringify(v)}`);
  // Key index memory: 200k keys with one revision each, extrapolated to a million.
  globalThis.gc?.();
  const before = process.memoryUsage().heapUsed;
  const idx = new TreeIndex();
  for (let i = 0; i < 200_000; i++) idx.getOrCreate(`k${String((i * 7919) % 200_000).padStart(7, '0')}`).put({ main: i + 2, sub: 0 });
  globalThis.gc?.();
  const perMillion = ((process.memoryUsage().heapUsed - before) * 5) / 2 ** 20;
  console.log(`key index heap per million keys (one revision each): ${perMillion.toFixed(0)} MiB (${idx.size} keys measured${globalThis.gc === undefined ? '; run node with --expose-gc for a tighter figure' : ''})`);
  out['index MiB per million keys'] = Math.round(perMillion);
  return out;
}
