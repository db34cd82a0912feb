/**
 * A/B of two raftkit builds on the etcd bench's range rows (run by hand:
 * `A_CLI=<cli.js> B_CLI=<cli.js> node --import tsx bench/range-ab.ts`; a build's copy must sit
 * inside this checkout, e.g. `cp -a dist tmp/dist-base`, so its imports resolve): two 3-member
 * clusters, 1000 keys of 256 B each, the range load (`IN_FLIGHT`, default 16, over every member;
 * `LIN=1` linearizable) alternating between them in slices of `SLICE_MS` (A B B A ..., `SLICES`
 * per build, 250 ms idle before each), as the etcd bench alternates raftkit and etcd, so that both
 * builds meet the same slow phases of a shared machine; prints per build ops/s, the members' CPU
 * per op, the client's CPU per op and p99.
 */
import { Etcd3 } from 'etcd3';
import { startCluster, type Cluster } from './etcd-cluster.js';
import { percentile } from './util.js';

const SLICE_MS = Number(process.env['SLICE_MS'] ?? 1000);
const SLICES = Number(process.env['SLICES'] ?? 10);
const LIN = process.env['LIN'] === '1';
const IN_FLIGHT = Number(process.env['IN_FLIGHT'] ?? 16);
const clis = [process.env['A_CLI']!, process.env['B_CLI']!];
const clusters: Cluster[] = [];
for (const cli of clis) clusters.push(await startCluster('raftkit', [cli], process.cwd(), undefined));
try {
  const clients = clusters.map((c) => new Etcd3({ hosts: c.hosts }));
  const value = 'v'.repeat(256);
  for (const client of clients) {
    await Promise.all(Array.from({ length: 16 }, async (_, j) => {
      for (let i = j; i < 1000; i += 16) await client.put(`b/${i}`).value(value).exec();
    }));
  }
  const slice = async (client: Etcd3, ms: number): Promise<{ ops: number; lat: number[]; ms: number }> => {
    const t0 = performance.now();
    const end = t0 + ms;
    let k = 0;
    const lat: number[] = [];
    await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        await client.kv.range({ key: Buffer.from(`b/${k++ % 1000}`), serializable: !LIN });
        lat.push(performance.now() - t);
      }
    }));
    return { ops: lat.length, lat, ms: performance.now() - t0 };
  };
  for (let w = 0; w < 6; w++) await slice(clients[w % 2]!, 1000);
  const tot = clis.map(() => ({ ops: 0, ms: 0, cpu: 0, client: 0, lat: [] as number[] }));
  const order = Array.from({ length: SLICES * 2 }, (_, i) => [0, 1, 1, 0][i % 4]!);
  for (const s of order) {
    await new Promise((r) => setTimeout(r, 250));
    const c0 = clusters[s]!.cpuSeconds();
    const u0 = process.cpuUsage();
    const m = await slice(clients[s]!, SLICE_MS);
    const u = process.cpuUsage(u0);
    const t = tot[s]!;
    t.cpu += clusters[s]!.cpuSeconds() - c0;
    t.client += (u.user + u.system) / 1e6;
    t.ops += m.ops;
    t.ms += m.ms;
    t.lat.push(...m.lat);
  }
  for (const [i, t] of tot.entries()) {
    console.log(`${i === 0 ? 'A' : 'B'} ${(t.ops * 1000 / t.ms).toFixed(0).padStart(6)}/s  members ${(1000 * t.cpu / t.ops).toFixed(3)} ms/op  client ${(1000 * t.client / t.ops).toFixed(3)} ms/op  p99 ${percentile(t.lat, 99).toFixed(1)} ms  (${clis[i]})`);
  }
  for (const c of clients) c.close();
} finally {
  for (const c of clusters) await c.stop();
}
