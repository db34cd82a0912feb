import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { MemberProcess, agreedLeader, freePorts, until } from '../../examples/kv-cluster/driver.js';

// Three members as separate processes over TcpTransport on loopback, with LevelStorage on
// classic-level: elect, write, kill -9 the leader, fail over, keep writing, restart, catch up.
const dir = mkdtempSync(join(tmpdir(), 'raftkit-mp-'));
const members = new Map<number, MemberProcess>();
afterAll(async () => {
  await Promise.all([...members.values()].map((m) => m.stop()));
  rmSync(dir, { recursive: true, force: true });
});

test('a 3-process cluster survives kill -9 of its leader with no acknowledged write lost', async () => {
  const ids = [1, 2, 3];
  const ports = await freePorts(3);
  const peers = ids.map((id, i) => `${id}=127.0.0.1:${ports[i]}`).join(',');
  const start = (id: number): MemberProcess => {
    const m = new MemberProcess(id, join(dir, `m${id}`), peers);
    members.set(id, m);
    return m;
  };
  for (const id of ids) start(id);
  await Promise.all([...members.values()].map((m) => m.ready()));
  const leader = await until(() => agreedLeader([...members.values()]), 20_000, 'a leader');

  const acked: string[] = [];
  const put = async (m: MemberProcess, key: string): Promise<boolean> => {
    const a = await m.request({ op: 'put', key, value: `v-${key}` });
    if (a.ok) acked.push(key);
    return a.ok;
  };
  // Writes through every member, before the failure.
  for (let i = 0; i < 60; i++) expect(await put(members.get(ids[i % 3]!)!, `before-${i}`)).toBe(true);

  await members.get(leader)!.kill9();
  members.delete(leader);
  const survivors = [...members.values()];
  const newLeader = await until(async () => {
    const l = await agreedLeader(survivors);
    return l !== undefined && l !== leader ? l : undefined;
  }, 20_000, 'a new leader');
  // The 20 s limit on failover is the deadline of `until` above (electionTick 10 × tickMs 50
  // = 500 ms; a new leader within a few election timeouts); timing belongs in benchmarks.
  expect(newLeader).not.toBe(leader);
  for (let i = 0; i < 30; i++) expect(await put(survivors[i % 2]!, `after-${i}`)).toBe(true);
  // A request's deadline (`timeoutMs`, handed to the KvClient): a member cut off answers ERR_TIMEOUT.
  const cut = survivors[0]!;
  expect(await cut.request({ op: 'isolate', on: true })).toMatchObject({ ok: true });
  expect(await cut.request({ op: 'put', key: 'cut-off', value: 'x', timeoutMs: 300 })).toMatchObject({ ok: false, code: 'ERR_TIMEOUT' });
  expect(await cut.request({ op: 'get', key: 'after-0', timeoutMs: 300 })).toMatchObject({ ok: false, code: 'ERR_TIMEOUT' });
  expect(await cut.request({ op: 'isolate', on: false })).toMatchObject({ ok: true });

  const back = start(leader);
  await back.ready();
  await until(async () => {
    const a = await back.request({ op: 'get', key: 'after-29' });
    return a.ok && (a.result as { value: string | null }).value === 'v-after-29' ? true : undefined;
  }, 20_000, 'the restarted member to catch up');
  for (const key of acked) {
    const a = await back.request({ op: 'get', key });
    expect((a.result as { value: string | null }).value).toBe(`v-${key}`);
  }
}, 90_000);
