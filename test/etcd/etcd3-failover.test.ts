import type { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { etcdctl } from './helpers.js';
import { etcd3Client, startProcCluster, type ProcCluster } from './process-cluster.js';

// The etcd3 npm client against three TLS `raftkit` processes: a watch stream and a lease
// keep-alive survive a kill -9 of the leader process.
let c: ProcCluster;
let client: Etcd3;

beforeAll(async () => {
  c = await startProcCluster(['f1', 'f2', 'f3']);
  client = etcd3Client(c);
}, 60_000);
afterAll(async () => {
  client.close();
  await c.close();
});

async function retry<T>(what: string, f: () => Promise<T>, ms = 20_000): Promise<T> {
  const deadline = performance.now() + ms;
  for (;;) {
    try {
      return await f();
    } catch (e) {
      if (performance.now() > deadline) throw new Error(`${what}: ${String(e)}`, { cause: e });
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

test('etcd3: put/get, then a watch and a lease keep-alive survive kill -9 of the leader', async () => {
  await retry('first put', () => client.put('fo/a').value('1').exec());
  expect(await client.get('fo/a').string()).toBe('1');
  const events: string[] = [];
  const watcher = await client.watch().prefix('fo/').create();
  watcher.on('put', (kv) => events.push(kv.value.toString()));
  const lease = client.lease(3);
  await lease.put('fo/leased').value('alive');
  const rows = JSON.parse((await etcdctl(c.endpoints(), [...c.ctlTls, 'endpoint', 'status', '-w', 'json'])).stdout) as { Endpoint: string; Status: { header: { member_id: number }; leader: number } }[];
  const leaderRow = rows.find((r) => r.Status.header.member_id === r.Status.leader)!;
  const leaderProc = [...c.procs.values()].find((p) => new URL(p.client).host === leaderRow.Endpoint)!;
  leaderProc.child.kill('SIGKILL');
  await leaderProc.exited;
  await retry('put after the leader died', () => client.put('fo/b').value('2').exec());
  await retry('watch event after failover', () => (events.includes('2') ? Promise.resolve() : Promise.reject(new Error(`events so far: ${events.join(',')}`))));
  // Past the 3 s TTL the key is still there: keep-alives reached a surviving member.
  await new Promise((r) => setTimeout(r, 4500));
  expect(await retry('leased key', () => client.get('fo/leased').string())).toBe('alive');
  expect(lease.revoked()).toBe(false);
  await watcher.cancel();
  await lease.revoke();
}, 60_000);
