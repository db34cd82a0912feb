/**
 * Where a Range's server CPU goes with the load on one member or spread (run by hand:
 * `node --import tsx bench/range-floor.ts`): a 3-member raftkit cluster (dist/cli.js, or
 * `BENCH_CLI=<path>`), 1000 keys of 256 B, then serializable Range (`LIN=1` linearizable) with the
 * etcd3 client in cells `CELLS` (default `one:1,one:4,one:16,all:16`: `<where>:<in flight>`, where
 * `one` or `m0`..`m2` is one member and `all` spreads calls over the three as the etcd bench does),
 * `REPS` rounds of `BENCH_CELL_MS` per cell; prints ops/s and the members' CPU per op. Measured
 * 21:35-21:40 (load 12-15): one member at 4 in flight 0.10-0.13 ms/op, at 1 in flight 0.21, spread
 * at 16 in flight 0.16-0.31: each member then answers one or two calls per turn of its loop, and
 * what a turn costs (wake-up, read, writes, immediates) is paid per call or two.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Etcd3 } from 'etcd3';
import { builtCli } from './built-cli.js';
import { startCluster } from './etcd-cluster.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const MS = Number(process.env['BENCH_CELL_MS'] ?? 3000);
const REPS = Number(process.env['REPS'] ?? 2);
const LIN = process.env['LIN'] === '1';
const cells = (process.env['CELLS'] ?? 'one:1,one:4,one:16,all:16').split(',').map((c) => {
  const [where, n] = c.split(':');
  return { where: where!, n: Number(n) };
});
const cluster = await startCluster('raftkit', [process.env['BENCH_CLI'] ?? builtCli(root, (l) => console.log(l))], root, process.env['BENCH_CPU_PROF']);
try {
  const all = new Etcd3({ hosts: cluster.hosts });
  const value = 'v'.repeat(256);
  await Promise.all(Array.from({ length: 16 }, async (_, j) => {
    for (let i = j; i < 1000; i += 16) await all.put(`b/${i}`).value(value).exec();
  }));
  const clients: Record<string, Etcd3> = { one: new Etcd3({ hosts: cluster.hosts[1]! }), all, m0: new Etcd3({ hosts: cluster.hosts[0]! }), m1: new Etcd3({ hosts: cluster.hosts[1]! }), m2: new Etcd3({ hosts: cluster.hosts[2]! }) };
  const run = async (client: Etcd3, n: number, ms: number): Promise<number> => {
    const end = performance.now() + ms;
    let k = 0;
    await Promise.all(Array.from({ length: n }, async () => {
      while (performance.now() < end) await client.kv.range({ key: Buffer.from(`b/${k++ % 1000}`), serializable: !LIN });
    }));
    return k;
  };
  for (const c of cells) await run(clients[c.where]!, c.n, 2000);
  for (let r = 0; r < REPS; r++) {
    for (const c of cells) {
      const c0 = cluster.cpuSeconds();
      const t0 = performance.now();
      const ops = await run(clients[c.where]!, c.n, MS);
      const s = (performance.now() - t0) / 1000;
      const cpu = cluster.cpuSeconds() - c0;
      const m = await Promise.all(cluster.metrics.map(async (u) => (await (await fetch(u)).text()).includes('etcd_server_is_leader 1')));
      console.log(`leader m${m.indexOf(true)} ${c.where}:${String(c.n).padEnd(3)} ${(ops / s).toFixed(0).padStart(6)}/s  members ${((1000 * cpu) / ops).toFixed(3)} ms/op  load ${(await import('node:os')).loadavg()[0]!.toFixed(1)}`);
    }
  }
  for (const c of Object.values(clients)) c.close();
} finally {
  await cluster.stop();
}
