import type { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { memberIdFor } from '../../src/etcd/members.js';
import { etcdctl, untilValue, type CtlResult } from './helpers.js';
import { etcd3Client, ports, startProcCluster, type ProcCluster } from './process-cluster.js';

// Three TLS `raftkit` processes snapshotting every 100 entries (their Raft snapshots hold no KV:
// by reference to the KV's database), with more writes than the log keeps (1000 entries below
// the snapshot, `--snapshot-catchup-entries 1000`; etcd's default 5,000 would keep them all): a
// member added then can only join through a snapshot, which the leader builds from its KV when it
// sends it. The new member serves every key, and every member's `endpoint hashkv` agrees at the
// same revision.
let c: ProcCluster;
let client: Etcd3;

beforeAll(async () => {
  c = await startProcCluster(['j1', 'j2', 'j3'], ['--snapshot-count', '100', '--snapshot-catchup-entries', '1000']);
  client = etcd3Client(c);
}, 60_000);
afterAll(async () => {
  client.close();
  await c.close();
});

/** {@link untilValue} that also retries a failed attempt, for up to 40 s. */
const until = <T>(what: string, f: () => Promise<T | undefined>): Promise<T> => untilValue(what, () => f().catch(() => undefined), 40_000);

const ctl = (endpoints: string[], ...args: string[]): Promise<CtlResult> => etcdctl(endpoints, [...c.ctlTls, ...args]);

async function leaderEndpoint(): Promise<string> {
  const rows = JSON.parse((await ctl(c.endpoints(), 'endpoint', 'status', '-w', 'json')).stdout) as { Endpoint: string; Status: { header: { member_id: number }; leader: number } }[];
  return rows.find((r) => r.Status.header.member_id === r.Status.leader)!.Endpoint;
}

test('member add after the log was compacted past its start: the new member joins through a snapshot built from the KV, and every member has the same KV hash', async () => {
  await until('first put', () => client.put('j/0').value('0').exec());
  for (let i = 1; i < 1300; i++) await client.put(`j/${i % 200}`).value(String(i)).exec();
  const leader = await leaderEndpoint();
  const p4 = await ports();
  const peer = `https://127.0.0.1:${p4.peer}`;
  const add = await until('member add', async () => {
    const r = await ctl([leader], 'member', 'add', 'j4', `--peer-urls=${peer}`, '--learner');
    return r.code === 0 ? r : undefined;
  });
  expect(add.stdout).toMatch(new RegExp(`Member\\s+${memberIdFor([peer], c.token).toString(16)} added to cluster`));
  const initial = [...c.procs.values()].map((p) => `${p.name}=${p.peer}`).concat(`j4=${peer}`).join(',');
  const j4 = await c.start('j4', 'existing', initial, p4);
  const mine = [new URL(j4.client).host];
  const want = (await client.get('j/1').string())!;
  // A serializable read on the new member: its own KV, restored from the snapshot and caught up.
  const got = await until('j4 serves the keys', async () => {
    const r = await ctl(mine, 'get', 'j/', '--prefix', '--consistency=s', '-w', 'json');
    const kvs = (JSON.parse(r.stdout) as { kvs?: unknown[] }).kvs ?? [];
    return kvs.length === 200 ? r : undefined;
  });
  expect(got.code).toBe(0);
  expect((await ctl(mine, 'get', 'j/1', '--consistency=s', '--print-value-only')).stdout.trim()).toBe(want);
  // It was restored from a snapshot: the log it needed was compacted away.
  const metrics = await (await fetch(`${j4.metrics}/metrics`)).text();
  expect(metrics).toMatch(/raft_snapshot_total\{kind="restored"\} [1-9]/);
  // Every member, the new one too, hashes the same KV at the same revision.
  const hashes = await until('equal hashes', async () => {
    const r = await ctl(c.endpoints(), 'endpoint', 'hashkv', '-w', 'json');
    const rows = JSON.parse(r.stdout) as { HashKV: { hash: number; header: { revision: number } } }[];
    const same = rows.length === 4 && rows.every((x) => x.HashKV.hash === rows[0]!.HashKV.hash && x.HashKV.header.revision === rows[0]!.HashKV.header.revision);
    return same ? rows : undefined;
  });
  expect(hashes).toHaveLength(4);
  // `etcdctl snapshot save` from the new member still works.
  const save = await ctl(mine, 'snapshot', 'save', `${c.dir}/j4.db`);
  expect(save.code, save.stderr).toBe(0);
}, 180_000);
