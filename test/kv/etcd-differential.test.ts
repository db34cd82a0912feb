import { describe, expect, test } from 'vitest';
import type { ServiceClientConstructor } from '@grpc/grpc-js';
import type { KvClient } from '../../src/kv/kv-client.js';
import { rawClient } from '../etcd/helpers.js';
import { KvCluster } from './kv-cluster.js';
import { EtcdServer } from './etcd-server.js';
import { OpGen } from './ops.js';
import type { GenState, Op } from './ops.js';
import { hashEtcd, hashRaftkit, runEtcd, runRaftkit } from './sides.js';

// The same seeded operation sequences go to a real etcd (3.4, started here on loopback ports in a
// temp dir; the test FAILS when it cannot start) and to raftkit/kv (one in-process member); every
// response or error is reduced to a view of the fields both define alike (views.ts names the
// deliberate differences: SORT_TIES, HEADER_IDS) and compared step by step.

const SEEDS = [1, 2, 3, 4];
const STEPS = 300;

function describeOp(op: Op): string {
  return JSON.stringify(op, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
}

/** What a view shows, for the coverage check. */
function classify(op: Op, view: unknown, seen: Set<string>): void {
  const v = view as { error?: string; ok?: boolean; more?: boolean; res?: unknown[] };
  if (v.error !== undefined) seen.add(`${op.kind} error: ${v.error}`);
  else seen.add(`${op.kind} ok`);
  if (op.kind === 'txn' && v.error === undefined) seen.add(v.ok === true ? 'txn succeeded' : 'txn failed');
  if (op.kind === 'txn' && JSON.stringify(v).includes('"txn":')) seen.add('nested txn ran');
  if (JSON.stringify(v).includes('"more":true')) seen.add('more');
}

/**
 * HashKV on both at revisions around the compacted and current ones. etcd deletes compacted rows
 * in the background, and while it does, a hash whose revision has no live key covers the rows it
 * has not deleted yet: its side is asked again (up to 1 s) until its compaction is done.
 */
async function compareHashes(etcd: InstanceType<ServiceClientConstructor>, kv: KvClient, state: GenState, where: string, seen: Set<string>): Promise<void> {
  const between = state.compactRev + 1 + ((state.rev * 7919) % Math.max(1, state.rev - state.compactRev));
  for (const rev of [0, -1, state.compactRev, state.compactRev + 1, between, state.rev, state.rev + 1]) {
    const got = await hashRaftkit(kv, rev);
    let want = await hashEtcd(etcd, rev);
    for (let i = 0; i < 20 && JSON.stringify(want) !== JSON.stringify(got); i++) {
      await new Promise((r) => setTimeout(r, 50));
      want = await hashEtcd(etcd, rev);
    }
    expect(got, `${where}: hashKV(${rev})`).toEqual(want);
    const v = got as { error?: string; compact?: string };
    seen.add(v.error !== undefined ? `hashkv error: ${v.error}` : v.compact === '-1' ? 'hashkv ok' : 'hashkv ok, compacted');
  }
}

async function runSeed(seed: number, seen: Set<string>): Promise<void> {
  const etcd = await EtcdServer.start();
  const cluster = await KvCluster.create(1, { electionMs: 1000 });
  const maintenance = rawClient('Maintenance', etcd.url);
  try {
    const kv = cluster.client(1);
    const state: GenState = { rev: 1, compactRev: -1 };
    const gen = new OpGen(seed);
    for (let step = 0; step < STEPS; step++) {
      const op = gen.next(state);
      const want = await runEtcd(etcd.client, op);
      const got = await runRaftkit(kv, op);
      expect(got, `seed ${seed} step ${step}: ${describeOp(op)}`).toEqual(want);
      classify(op, got, seen);
      const g = got as { rev?: string; error?: string };
      if (g.rev !== undefined && g.error === undefined) state.rev = Math.max(state.rev, Number(g.rev));
      if (op.kind === 'compact' && g.error === undefined) state.compactRev = op.revision;
      if (step % 10 === 9) await compareHashes(maintenance, kv, state, `seed ${seed} step ${step}`, seen);
    }
    // The lease TTL floor: etcd (1 s election timeout) raises 1 s to 2 s; so does raftkit/kv.
    const e = await etcd.client.leaseClient.leaseGrant({ ID: '777', TTL: 1 });
    const r = await kv.lease.grant(1, { id: 777n });
    expect(String(r.ttl)).toBe(e.TTL);
    await etcd.client.leaseClient.leaseRevoke({ ID: '777' });
  } finally {
    maintenance.close();
    await cluster.close();
    await etcd.stop();
  }
}

describe('raftkit/kv answers as a real etcd does', () => {
  test('seeded sequences of puts, ranges with every option, deletes, txns, compactions and leases; HashKV along the way', async () => {
    const seen = new Set<string>();
    // A fresh etcd and a fresh raftkit/kv per seed: both start empty at revision 1.
    for (const seed of SEEDS) await runSeed(seed, seen);
    // The sequences did reach the interesting cases (not only the easy ones).
    for (const want of [
      'txn succeeded',
      'txn failed',
      'nested txn ran',
      'more',
      'compact ok',
      'range error: etcdserver: mvcc: required revision has been compacted',
      'range error: etcdserver: mvcc: required revision is a future revision',
      'compact error: etcdserver: mvcc: required revision has been compacted',
      'compact error: etcdserver: mvcc: required revision is a future revision',
      'txn error: etcdserver: duplicate key given in txn request',
      'put error: etcdserver: requested lease not found',
      'put error: etcdserver: key not found',
      'put error: etcdserver: value is provided',
      'grant error: etcdserver: lease already exists',
      'revoke error: etcdserver: requested lease not found',
      'hashkv ok',
      'hashkv ok, compacted',
      'hashkv error: etcdserver: mvcc: required revision has been compacted',
      'hashkv error: etcdserver: mvcc: required revision is a future revision',
    ]) expect([...seen], want).toContain(want);
  }, 60_000);
});
