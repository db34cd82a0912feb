/**
 * The raftkit demo: a replicated key-value store on three member processes, each a Replica
 * running raftkit/kv's KvStateMachine on classic-level storage, talking TCP on loopback. It elects a leader, writes a burst,
 * kills the leader with SIGKILL, measures the fail-over, restarts the killed member and
 * watches it catch up, then checks every acknowledged write on every member.
 *
 * Run it with `npm run demo`; options (after `--`):
 * - `--web`: also serve a live page (http://127.0.0.1:<port>/) with kill, restart and
 *   partition buttons; the cluster keeps running under a light write load until Ctrl-C;
 * - `--web-port <n>`: the page's port (default: a free one);
 * - `--writes <n>`: the size of the burst (default 3000).
 *
 * Ctrl-C or SIGTERM at any point stops the members and removes the data folder.
 */
import { parseArgs } from 'node:util';
import { DemoCluster } from './demo-cluster.js';
import { Screen } from './screen.js';
import { until } from './driver.js';
import { serveWeb } from './web.js';

const { values: args } = parseArgs({
  options: { web: { type: 'boolean', default: false }, 'web-port': { type: 'string', default: '0' }, writes: { type: 'string', default: '3000' } },
});
const n = Number(args.writes);

const cluster = await DemoCluster.create();
let screen: Screen | undefined;
let exiting = false;
const shutdown = async (code: number, fast: boolean): Promise<never> => {
  if (!exiting) {
    exiting = true;
    screen?.stop();
    await cluster.close(fast);
  }
  process.exit(code);
};
process.on('SIGINT', () => void shutdown(130, true));
process.on('SIGTERM', () => void shutdown(143, true));

/** Writes keys `from`..`to`-1 through every running member in turn, `concurrency` at a time. */
async function burst(from: number, to: number, concurrency: number): Promise<void> {
  const via = cluster.ids.filter((id) => cluster.views.get(id)!.alive);
  let next = from;
  const writer = async (): Promise<void> => {
    while (next < to) {
      const i = next++;
      if (!(await cluster.put(via[i % via.length]!, `key-${i}`, `value-${i}`))) throw new Error(`put key-${i} failed`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, writer));
}

try {
  console.log('raftkit demo: a replicated KV store on 3 processes (classic-level on disk, TCP on loopback)\n');
  screen = new Screen(cluster, process.stdout);
  const web = args.web ? await serveWeb(cluster, Number(args['web-port'])) : undefined;
  if (web !== undefined) cluster.log(`live view at ${web.url}`);

  await Promise.all(cluster.ids.map((id) => cluster.start(id)));
  cluster.log(`started members 1, 2, 3 as processes ${cluster.ids.map((id) => cluster.views.get(id)!.pid).join(', ')} (data in ${cluster.dir})`);
  const e0 = Date.now();
  const leader = await until(() => cluster.leader(), 10_000, 'a leader');
  cluster.log(`member ${leader} was elected leader in term ${cluster.views.get(leader)!.term} (${Date.now() - e0} ms)`);

  const w0 = Date.now();
  await burst(0, n, 64);
  const secs = (Date.now() - w0) / 1000;
  cluster.log(`wrote ${n} keys in ${secs.toFixed(2)} s: ${Math.round(n / secs)} writes/s, 64 in flight, through all 3 members`);
  // Watch hook: a KV watch on the `key-` prefix, opened before the burst, reports here (next change).

  await cluster.kill(leader);
  const k0 = Date.now();
  cluster.log(`killed the leader (member ${leader}) with SIGKILL`);
  const newLeader = await until(async () => {
    const l = await cluster.leader();
    return l !== undefined && l !== leader ? l : undefined;
  }, 10_000, 'a new leader');
  const elected = Date.now() - k0;
  await until(async () => ((await cluster.put(newLeader, 'after-failover', 'yes')) ? true : undefined), 10_000, 'a write after fail-over');
  cluster.log(`member ${newLeader} took over in term ${cluster.views.get(newLeader)!.term}: fail-over took ${elected} ms to elect, ${Date.now() - k0} ms to the first acknowledged write`);
  await burst(n, n + 500, 16);
  cluster.log(`wrote 500 more keys with member ${leader} down`);

  const r0 = Date.now();
  await cluster.start(leader);
  cluster.log(`restarted member ${leader} from its storage`);
  const target = cluster.views.get(newLeader)!.commit;
  await until(async () => (await cluster.poll(), cluster.views.get(leader)!.applied >= target ? true : undefined), 20_000, 'the restarted member to catch up');
  cluster.log(`member ${leader} caught up to index ${cluster.views.get(leader)!.applied} in ${Date.now() - r0} ms`);
  const snaps = [...cluster.views.values()].map((v) => `member ${v.id} at ${v.snapshot || 'none yet'}`);
  cluster.log(`snapshots (every 2000 entries): ${snaps.join(', ')}`);

  const missing = await cluster.checkEveryWrite();
  const lost = [...missing].filter(([, keys]) => keys.length > 0);
  if (lost.length === 0) cluster.log(`every acknowledged write (${cluster.acked.size}) was checked on every member (${[...missing.keys()].join(', ')}): none lost`);
  else {
    for (const [id, keys] of lost) cluster.log(`LOST on member ${id}: ${keys.length} writes, e.g. ${keys.slice(0, 5).join(', ')}`);
    process.exitCode = 1;
  }
  if (web !== undefined) {
    cluster.log(`the cluster keeps running under a light load: open ${web.url}, Ctrl-C to stop`);
    await web.load();
  }
  screen.stop(true);
} catch (err) {
  if (!exiting) {
    // (After Ctrl-C or SIGTERM, the writes in flight fail as the members go: nothing to report.)
    screen?.stop(true);
    console.error(err);
    process.exitCode = 1;
  }
} finally {
  if (!exiting) {
    exiting = true;
    await cluster.close();
  }
}
