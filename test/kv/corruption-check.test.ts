import { afterEach, expect, test } from 'vitest';
import { AlarmType } from '../../src/kv/alarms/alarm-table.js';
import { CorruptClusterError } from '../../src/kv/errors.js';
import { StoppedError } from '../../src/replica/errors.js';
import { DataInconsistencyError, type CorruptionCheckReport } from '../../src/kv/maintenance/corruption-check.js';
import { KvCluster } from './kv-cluster.js';
import { corruptStoredValue } from './helpers.js';

let cluster: KvCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

/** Ten puts spread over the members, a delete and a compaction; resolves once every member has applied them all. */
async function history(c: KvCluster, ids: number[]): Promise<void> {
  for (let i = 0; i < 10; i++) await c.client(ids[i % ids.length]!).put(`h${i}`, `value-${i}`);
  await c.client(ids[0]!).deleteRange('h3');
  await c.client(ids[1 % ids.length]!).compact(4);
  await c.waitApplied(Math.max(...ids.map((id) => c.replicas.get(id)!.status().commit)));
}

const sorted = (ids: bigint[]): bigint[] => [...ids].sort((a, b) => Number(a - b));

test('every other member compares a member\'s hash with its own and finds it the same', async () => {
  const c = (cluster = await KvCluster.create(3));
  await history(c, [1, 2, 3]);
  for (const id of [1, 2, 3]) {
    const own = await c.client(id).maintenance.hashKV();
    const r = await c.client(id).maintenance.initialCorruptCheck();
    expect(r).toMatchObject({ memberId: BigInt(id), revision: own.hashRevision, compactRevision: 4, hash: own.hash, mismatched: [], skipped: [], unanswered: [] });
    expect(sorted(r.matched)).toEqual([1n, 2n, 3n].filter((m) => m !== BigInt(id)));
  }
});

test('a member whose stored revisions were changed behind Raft\'s back is found by every check: its own fails with etcd\'s error, the others name it', async () => {
  const c = (cluster = await KvCluster.create(3));
  await history(c, [1, 2, 3]);
  expect(await corruptStoredValue(c.dbs.get(2)!, 'value-7', 'VALUE-7')).toBe(1);

  const own = await c.client(2).maintenance.checkCorruption();
  expect(sorted(own.mismatched)).toEqual([1n, 3n]);
  expect(own.matched).toEqual([]);
  const err = await c.client(2).maintenance.initialCorruptCheck().catch((e: unknown) => e);
  expect(err).toBeInstanceOf(DataInconsistencyError);
  expect((err as DataInconsistencyError).message).toBe('2 found data inconsistency with peers');
  expect((err as DataInconsistencyError).code).toBe('ERR_DATA_INCONSISTENCY');
  expect(sorted((err as DataInconsistencyError).report.mismatched)).toEqual([1n, 3n]);

  const other = await c.client(1).maintenance.checkCorruption();
  expect(other).toMatchObject({ mismatched: [2n], matched: [3n], skipped: [], unanswered: [] });
});

test('a member that does not answer in time is reported unanswered, and does not fail the initial check; a check lost with its leader is proposed again', async () => {
  const c = (cluster = await KvCluster.create(3));
  await history(c, [1, 2, 3]);
  const leader = (await c.waitLeader()).id;
  const [a, b] = [1, 2, 3].filter((id) => id !== leader) as [number, number];
  await c.stop(leader);
  const r = await c.client(a).maintenance.initialCorruptCheck({ timeoutMs: 4000 });
  expect(r).toMatchObject({ matched: [BigInt(b)], mismatched: [], unanswered: [BigInt(leader)] });
});

test('without a quorum the check reports every other member unanswered once its time is up; on a stopped replica it fails', async () => {
  const c = (cluster = await KvCluster.create(3));
  await history(c, [1, 2, 3]);
  const kept = c.client(1);
  await c.stop(2);
  await c.stop(3);
  const started = performance.now();
  const r = await kept.maintenance.checkCorruption({ timeoutMs: 1500 });
  expect(performance.now() - started).toBeGreaterThanOrEqual(1400);
  expect(r).toMatchObject({ matched: [], mismatched: [], skipped: [] });
  expect(sorted(r.unanswered)).toEqual([2n, 3n]);
  await c.stop(1);
  await expect(kept.maintenance.checkCorruption({ timeoutMs: 1500 })).rejects.toBeInstanceOf(StoppedError);
});

test('a single member has nobody to compare with, and passes at once', async () => {
  const c = (cluster = await KvCluster.create(1));
  await c.client(1).put('k', 'v');
  const r = await c.client(1).maintenance.initialCorruptCheck({ timeoutMs: 60_000 });
  expect(r).toMatchObject({ memberId: 1n, revision: 2, compactRevision: -1, matched: [], mismatched: [], skipped: [], unanswered: [] });
});

test('the periodic check runs on the leader only, raises CORRUPT for the member that differs, and writes are then refused everywhere', async () => {
  const c = (cluster = await KvCluster.create(3));
  const leader = await c.waitLeader();
  const follower = [1, 2, 3].find((id) => id !== leader.id)!;
  await history(c, [1, 2, 3]);
  const reports = new Map<number, (CorruptionCheckReport | Error)[]>();
  const stops = [1, 2, 3].map((id) => {
    reports.set(id, []);
    return c.client(id).maintenance.startCorruptionChecks(100, (r) => reports.get(id)!.push(r));
  });
  try {
    // A clean pass first: the leader reports, nobody else checks, no alarm.
    await expect.poll(() => reports.get(leader.id)!.length, { timeout: 10_000 }).toBeGreaterThan(0);
    expect(reports.get(leader.id)![0]).toMatchObject({ memberId: BigInt(leader.id), mismatched: [], unanswered: [] });
    expect(c.client(leader.id).alarms.active()).toEqual([]);

    expect(await corruptStoredValue(c.dbs.get(follower)!, 'value-7', 'VALUE-7')).toBe(1);
    await expect.poll(() => c.client(leader.id).alarms.active(), { timeout: 10_000 }).toEqual([{ memberId: BigInt(follower), alarm: AlarmType.CORRUPT }]);
    for (const id of [1, 2, 3]) await expect.poll(() => c.client(id).alarms.active().length, { timeout: 10_000 }).toBe(1);
    await expect(c.client(follower).put('after', 'x')).rejects.toBeInstanceOf(CorruptClusterError);
    expect([...reports].filter(([id, rs]) => id !== leader.id && rs.length > 0)).toEqual([]);
  } finally {
    for (const stop of stops) stop();
  }
});

test('members answer a check only until a minute past its deadline, so one replaying an old log does not hash for it', async () => {
  const c = (cluster = await KvCluster.create(3));
  await history(c, [1, 2, 3]);
  const verdicts: string[] = [];
  c.client(1).stateMachine.onHashCommand((cmd) => {
    if (cmd.op === 'hashVerdict') verdicts.push(`${cmd.checkId}:${cmd.memberId}:${cmd.verdict}`);
  });
  const own = await c.client(1).maintenance.hashKV();
  const check = { op: 'hashCheck', memberId: 1n, revision: own.hashRevision, compactRevision: own.compactRevision, hash: own.hash } as const;
  await c.client(1).propose({ ...check, checkId: 'stale', deadline: Date.now() - 61_000 });
  await c.client(1).propose({ ...check, checkId: 'fresh', deadline: Date.now() + 5_000 });
  await expect.poll(() => verdicts.filter((v) => v.startsWith('fresh:')).sort(), { timeout: 10_000 }).toEqual(['fresh:2:match', 'fresh:3:match']);
  await new Promise((r) => setTimeout(r, 200));
  expect(verdicts.filter((v) => v.startsWith('stale:'))).toEqual([]);
});
