/**
 * The raftkit demo: a replicated key-value store on three member processes, each a Replica
 * on classic-level storage talking TCP on loopback. It writes, kills the leader with
 * SIGKILL, measures how long the cluster takes to elect a new leader and accept writes
 * again, restarts the killed member and checks that it caught up with nothing lost.
 *
 * Run it with `npm run demo`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemberProcess, agreedLeader, freePorts, until } from './driver.js';

const ids = [1, 2, 3];
const dir = mkdtempSync(join(tmpdir(), 'raftkit-demo-'));
const ports = await freePorts(ids.length);
const peers = ids.map((id, i) => `${id}=127.0.0.1:${ports[i]}`).join(',');
const t0 = Date.now();
const log = (line: string): void => console.log(`[${String(Date.now() - t0).padStart(5)} ms] ${line}`);

const members = new Map<number, MemberProcess>();
const start = (id: number): MemberProcess => {
  const m = new MemberProcess(id, join(dir, `member-${id}`), peers);
  members.set(id, m);
  return m;
};

try {
  console.log('raftkit demo: a replicated KV store on 3 processes (classic-level on disk, TCP on loopback)\n');
  for (const id of ids) start(id);
  await Promise.all([...members.values()].map((m) => m.ready()));
  log(`started members ${ids.join(', ')} (data in ${dir})`);
  const leader = await until(() => agreedLeader([...members.values()]), 10_000, 'a leader');
  log(`member ${leader} was elected leader`);

  // Writes through every member (followers forward to the leader), 64 at a time.
  const n = 3000;
  const w0 = Date.now();
  let next = 0;
  const writer = async (): Promise<void> => {
    while (next < n) {
      const i = next++;
      const m = members.get(ids[i % ids.length]!)!;
      const a = await m.request({ op: 'put', key: `key-${i}`, value: `value-${i}` });
      if (!a.ok) throw new Error(`put key-${i} failed: ${a.code} ${a.message}`);
    }
  };
  await Promise.all(Array.from({ length: 64 }, writer));
  const secs = (Date.now() - w0) / 1000;
  log(`wrote ${n} keys in ${secs.toFixed(2)} s (${Math.round(n / secs)} writes/s, 64 in flight)`);

  const old = members.get(leader)!;
  await old.kill9();
  members.delete(leader);
  const k0 = Date.now();
  log(`killed the leader (member ${leader}) with SIGKILL`);
  const survivors = [...members.values()];
  const newLeader = await until(async () => {
    const l = await agreedLeader(survivors);
    return l !== undefined && l !== leader ? l : undefined;
  }, 10_000, 'a new leader');
  const elected = Date.now() - k0;
  await until(async () => {
    const a = await survivors[0]!.request({ op: 'put', key: 'after-failover', value: 'yes' });
    if (!a.ok && process.env['DEMO_DEBUG']) log(`write after fail-over: ${a.code} ${a.message}`);
    return a.ok ? true : undefined;
  }, 10_000, 'a write after fail-over');
  log(`member ${newLeader} took over: elected after ${elected} ms, first write accepted after ${Date.now() - k0} ms`);

  const back = start(leader);
  await back.ready();
  log(`restarted member ${leader} from its storage`);
  await until(async () => {
    const a = await back.request({ op: 'get', key: 'after-failover' });
    return a.ok && (a.result as { value: string | null }).value === 'yes' ? a : undefined;
  }, 10_000, 'the restarted member to catch up');
  const statuses = await Promise.all([...members.values()].map(async (m) => (await m.request({ op: 'status' })).result as { id: number; keys: number; applied: number }));
  for (const s of statuses.sort((a, b) => a.id - b.id)) log(`member ${s.id}: ${s.keys} keys, applied index ${s.applied}`);
  const lost = [];
  for (let i = 0; i < n; i += 97) {
    const a = await back.request({ op: 'get', key: `key-${i}` });
    if ((a.result as { value: string | null }).value !== `value-${i}`) lost.push(i);
  }
  console.log(lost.length === 0 ? '\nno acknowledged write was lost' : `\nLOST WRITES: ${lost.join(', ')}`);
  if (lost.length > 0) process.exitCode = 1;
} finally {
  await Promise.all([...members.values()].map((m) => m.stop()));
  rmSync(dir, { recursive: true, force: true });
}
