/**
 * The raftkit demo: a replicated key-value store on three member processes, each a Replica
 * running raftkit/kv's KvStateMachine on classic-level storage, talking TCP on loopback. It
 * elects a leader, opens a KV watch, writes a burst, kills the leader with SIGKILL, measures
 * the fail-over, restarts the killed member and watches it catch up, saves a backup of the KV
 * and prints its status as `etcdctl snapshot status` does, then checks that the watch saw
 * exactly the acknowledged writes, in revision order, and every acknowledged write on every member.
 *
 * Run it with `npm run demo`; options (after `--`):
 * - `--web`: also serve a live page (http://127.0.0.1:<port>/) with kill, restart and
 *   partition buttons; the cluster keeps running under a light write load until Ctrl-C;
 * - `--web-port <n>`: the page's port (default: a free one);
 * - `--writes <n>`: the size of the burst (default 3000).
 *
 * Ctrl-C or SIGTERM at any point stops the members and removes the data folder.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { snapshotStatus } from 'raftkit/kv';
import { DemoCluster } from './demo-cluster.js';
import { snapshotStatusTable } from './snapshot-table.js';
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

  // A KV watch on the burst's keys, on a follower (the leader is about to be killed).
  const watch = await cluster.openWatch('key-', cluster.ids.find((id) => id !== leader)!);
  cluster.log(`opened a KV watch on every key starting with key- at member ${watch.member} (from revision ${watch.startRevision})`);
  let first = true;
  let milestone = 1000;
  watch.onBatch = (events) => {
    if (first) cluster.log(`the watch received its first events: ${events.slice(0, 3).map((e) => `${e.kind.toUpperCase()} ${e.key} at revision ${e.revision}`).join(', ')}${events.length > 3 ? ', …' : ''}`);
    first = false;
    for (; watch.events.length >= milestone; milestone += 1000) cluster.log(`the watch has received ${milestone} events (the latest: ${watch.events[milestone - 1]!.key} at revision ${watch.events[milestone - 1]!.revision})`);
  };

  const w0 = Date.now();
  await burst(0, n, 64);
  const secs = (Date.now() - w0) / 1000;
  cluster.log(`wrote ${n} keys in ${secs.toFixed(2)} s: ${Math.round(n / secs)} writes/s, 64 in flight, through all 3 members`);

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
  // The target is the leader's commit index now (the views may be as old as the last redraw).
  await cluster.poll();
  const target = cluster.views.get(newLeader)!.commit;
  await until(async () => (await cluster.poll(), cluster.views.get(leader)!.applied >= target ? true : undefined), 20_000, 'the restarted member to catch up');
  cluster.log(`member ${leader} caught up to index ${cluster.views.get(leader)!.applied} in ${Date.now() - r0} ms`);
  const snaps = [...cluster.views.values()].map((v) => `member ${v.id} at ${v.snapshot || 'none yet'}`);
  cluster.log(`snapshots (every 2000 entries): ${snaps.join(', ')}`);

  // A backup of the restarted member's KV, and its status as the operator's tool reads it.
  const file = join(cluster.dir, 'snapshot.db');
  const s0 = Date.now();
  await cluster.saveSnapshot(leader, file);
  const status = await snapshotStatus(file);
  const newest = Math.max(...[...cluster.acked.values()].map((w) => w.revision));
  cluster.log(`member ${leader} saved a KV snapshot to ${file} in ${Date.now() - s0} ms; its status, as etcdctl snapshot status -w table prints it:\n${snapshotStatusTable(status).map((l) => `    ${l}`).join('\n')}`);
  cluster.log(`the snapshot's revision ${status.revision} is ${status.revision === newest ? "the newest acknowledged write's" : `NOT the newest acknowledged write's (${newest})`}`);
  if (status.revision !== newest) process.exitCode = 1;

  // The watch saw exactly the acknowledged writes under its prefix, each at its revision, in order.
  const lastKey = Math.max(...[...cluster.acked].filter(([k]) => k.startsWith(watch.prefix)).map(([, w]) => w.revision));
  await until(() => (watch.lastRevision >= lastKey ? true : undefined), 10_000, 'the watch to receive every write').catch(() => undefined);
  const problems = watch.check(cluster.acked);
  const expected = [...cluster.acked.keys()].filter((k) => k.startsWith(watch.prefix)).length;
  if (problems.length === 0) cluster.log(`the watch saw exactly the ${expected} acknowledged writes under ${watch.prefix}, in revision order (revisions ${watch.events[0]?.revision ?? '-'} to ${watch.lastRevision}, ${watch.batches} batches)`);
  else {
    cluster.log(`the watch did NOT see exactly the acknowledged writes: ${problems.length} problems, e.g. ${problems.slice(0, 3).join('; ')}`);
    process.exitCode = 1;
  }

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
