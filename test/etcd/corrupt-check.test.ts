import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { corruptStoredValue } from '../kv/helpers.js';
import { etcdctl, until } from './helpers.js';
import { startProcCluster, type Proc, type ProcCluster } from './process-cluster.js';

// etcd's corruption checks on `raftkit` processes: --experimental-initial-corrupt-check on a
// restart, --experimental-corrupt-check-time on the leader, against a member whose KV database
// was changed on disk while it was stopped.
let c: ProcCluster;
let initial: string;
beforeAll(async () => {
  c = await startProcCluster(['k1', 'k2', 'k3'], ['--experimental-corrupt-check-time', '300ms']);
  initial = [...c.procs.values()].map((p) => `${p.name}=${p.peer}`).join(',');
}, 60_000);
afterAll(async () => {
  await c.close();
});

const ctl = (args: string[]): ReturnType<typeof etcdctl> => etcdctl(c.endpoints(), [...c.ctlTls, ...args]);

async function stop(p: Proc): Promise<void> {
  p.child.kill('SIGTERM');
  expect(await p.exited).toBe(0);
}

function restart(p: Proc, args: readonly string[]): Promise<Proc> {
  const port = (u: string): number => Number(new URL(u).port);
  return c.start(p.name, 'new', initial, { client: port(p.client), peer: port(p.peer), metrics: port(p.metrics) }, args);
}

test('a restarted member with --experimental-initial-corrupt-check passes when its data is its peers\', and refuses to start when its KV was changed on disk; the leader\'s periodic check then raises CORRUPT', async () => {
  for (let i = 0; i < 10; i++) expect((await ctl(['put', `h${i}`, `value-${i}`])).code).toBe(0);
  // Periodic checks on the leader pass: no alarm.
  await until(() => [...c.procs.values()].some((p) => p.stderr.includes('"corruption checking passed; no corruption"')), 'a periodic check');
  expect((await ctl(['alarm', 'list'])).stdout).toBe('');

  let k3 = c.procs.get('k3')!;
  await stop(k3);
  k3 = await restart(k3, ['--experimental-initial-corrupt-check=true']);
  expect(k3.stderr).toContain('"starting initial corruption check"');
  expect(k3.stderr).toMatch(/"corruption checking passed; no corruption".*"checked-peers":\["[0-9a-f]+","[0-9a-f]+"\]/);

  await stop(k3);
  const db = new ClassicLevel<Uint8Array, Uint8Array>(join(c.dir, 'k3', 'member', 'kv'), { keyEncoding: 'view', valueEncoding: 'view' });
  expect(await corruptStoredValue(db, 'value-7', 'VALUE-7')).toBe(1);
  await db.close();
  await expect(restart(k3, ['--experimental-initial-corrupt-check=true'])).rejects.toThrow(/found data inconsistency with peers/);
  k3 = c.procs.get('k3')!;
  expect(await k3.exited).toBe(1);
  expect(k3.stderr).toContain('"found different hash values from remote peer"');
  expect(k3.stderr).not.toContain('"serving client traffic"');
  // While it checked itself it took part in Raft, so the leader's periodic check may have found it
  // already: clear that alarm, so that the one below is the periodic check's on a running member.
  expect((await ctl(['alarm', 'disarm'])).code).toBe(0);
  expect((await ctl(['alarm', 'list'])).stdout).toBe('');

  // Without the initial check it starts, and the leader's next check raises the alarm, which stops writes.
  await restart(k3, []);
  await until(async () => (await ctl(['alarm', 'list'])).stdout.includes('alarm:CORRUPT'), 'a CORRUPT alarm');
  const put = await ctl(['put', 'after', 'x']);
  expect(put.code).not.toBe(0);
  expect(put.stderr).toContain('etcdserver: corrupt cluster');
}, 90_000);
