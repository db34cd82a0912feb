import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AUTH_UNIMPLEMENTED } from '../../src/etcd/auth.js';
import { EtcdServer } from '../../src/etcd/server.js';
import { ETCD_API_VERSION, RAFTKIT_VERSION } from '../../src/etcd/version.js';
import { Cluster } from '../replica/helpers/cluster.js';
import { callUnary, etcdctl, rawClient } from './helpers.js';

// EtcdServer over a 3-replica in-process cluster: the RPCs backed by the replica alone
// (Status, MemberList, MoveLeader), Auth's UNIMPLEMENTED, hasleader, driven by the real etcdctl.
let cluster: Cluster;
const servers = new Map<number, EtcdServer>();
const urls = new Map<number, string>();
// etcdctl 3.4 sends per-endpoint calls (endpoint status/health, move-leader) to URL endpoints with
// an HTTP/2 :authority of "http://host:port", which Node's HTTP/2 refuses; EtcdServer's door
// rewrites it, so both endpoint forms work (URLs for endpoint status, host:port for move-leader).
const hostPorts = (): string[] => [...urls.values()].map((u) => new URL(u).host);

beforeAll(async () => {
  cluster = await Cluster.create([1, 2, 3]);
  for (const [id, replica] of cluster.replicas) {
    const s = new EtcdServer({ replica, clusterId: 77n, name: `m${id}` });
    servers.set(id, s);
    urls.set(id, await s.listen('http://127.0.0.1:0'));
  }
});
afterAll(async () => {
  await Promise.all([...servers.values()].map((s) => s.close()));
  await cluster.close();
});

describe('Maintenance.Status and Cluster.MemberList through etcdctl', () => {
  test('endpoint status -w json reports the leader, term, indexes and the etcd API version', async () => {
    const leader = await cluster.waitLeader();
    const r = await etcdctl([...urls.values()], ['endpoint', 'status', '-w', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout) as { Endpoint: string; Status: { header: { cluster_id: number; member_id: number }; version: string; leader: number; raftTerm?: number; raft_term?: number } }[];
    expect(rows).toHaveLength(3);
    for (const row of rows) {
      expect(row.Status.version).toBe(ETCD_API_VERSION);
      expect(row.Status.leader).toBe(leader.id);
      expect(row.Status.header.cluster_id).toBe(77);
    }
    expect(rows.map((x) => x.Status.header.member_id).sort()).toEqual([1, 2, 3]);
  });

  test('Status carries raftkit\'s own version in a field of its own', async () => {
    const { res } = await callUnary(rawClient('Maintenance', urls.get(1)!), 'Status', {});
    expect(res?.raftkitVersion).toBe(RAFTKIT_VERSION);
    expect(res?.version).toBe(ETCD_API_VERSION);
  });

  test('member list -w json lists the three voters with this member\'s name and client URL', async () => {
    const r = await etcdctl([urls.get(2)!], ['member', 'list', '-w', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { members: { ID: number; name?: string; clientURLs?: string[]; isLearner?: boolean }[] };
    expect(out.members.map((m) => m.ID).sort()).toEqual([1, 2, 3]);
    const self = out.members.find((m) => m.ID === 2)!;
    expect(self.name).toBe('m2');
    expect(self.clientURLs).toEqual([urls.get(2)]);
  });

  test('move-leader hands leadership to the target; asking a follower answers "not leader"', async () => {
    const leader = await cluster.waitLeader();
    const target = [1, 2, 3].find((id) => id !== leader.id)!;
    const viaFollower = await callUnary(rawClient('Maintenance', urls.get(target)!), 'MoveLeader', { targetID: String(leader.id) });
    expect(viaFollower.err?.code).toBe(status.FAILED_PRECONDITION);
    expect(viaFollower.err?.details).toBe('etcdserver: not leader');
    const r = await etcdctl(hostPorts(), ['move-leader', target.toString(16)]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Leadership transferred');
    expect((await cluster.waitLeader()).id).toBe(target);
  });
});

describe('errors', () => {
  test('every Auth RPC answers UNIMPLEMENTED with a clear message', async () => {
    const r = await etcdctl([urls.get(1)!], ['auth', 'enable']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('Auth service');
    const { err } = await callUnary(rawClient('Auth', urls.get(1)!), 'UserList', {});
    expect(err?.code).toBe(status.UNIMPLEMENTED);
    expect(err?.details).toBe(AUTH_UNIMPLEMENTED);
  });

  test('a member that is not in the cluster: MemberRemove answers NotFound "etcdserver: member not found"', async () => {
    const { err } = await callUnary(rawClient('Cluster', urls.get(1)!), 'MemberRemove', { ID: '12345' });
    expect(err?.code).toBe(status.NOT_FOUND);
    expect(err?.details).toBe('etcdserver: member not found');
  });
});

test('without a KvClient, a linearizable MemberList also waits for a ReadIndex: a cut-off follower answers an error, not its list', async () => {
  const leader = await cluster.waitLeader();
  const follower = [1, 2, 3].find((id) => id !== leader.id)!;
  const list = (linearizable: boolean, deadlineMs = 2000): Promise<{ ids?: string[]; code?: number }> => new Promise((resolve) => {
    const client = rawClient('Cluster', urls.get(follower)!);
    (client.MemberList as (r: object, m: Metadata, o: object, cb: (e: ServiceError | null, r: { members: { ID: string }[] }) => void) => void)(
      { linearizable }, new Metadata(), { deadline: Date.now() + deadlineMs }, (e, r) => {
        client.close();
        resolve(e === null ? { ids: r.members.map((m) => m.ID).sort() } : { code: e.code });
      },
    );
  });
  cluster.network.isolate(follower);
  try {
    expect((await list(false)).ids).toEqual(['1', '2', '3']);
    expect([status.DEADLINE_EXCEEDED, status.UNAVAILABLE]).toContain((await list(true, 300)).code);
  } finally {
    cluster.network.heal();
  }
  await cluster.waitLeader();
  expect((await list(true)).ids).toEqual(['1', '2', '3']);
});
