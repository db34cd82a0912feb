import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { freePorts } from '../../examples/kv-cluster/driver.js';
import { memberIdFor } from '../../src/etcd/members.js';
import { EtcdServer } from '../../src/etcd/server.js';
import { KvClient } from '../../src/kv/kv-client.js';
import { KvStateMachine } from '../../src/kv/kv-state-machine.js';
import { MemoryStorage } from '../../src/raft/log-storage.js';
import { StateType } from '../../src/raft/ready.js';
import { Replica } from '../../src/replica/replica.js';
import { TcpTransport } from '../../src/transport/tcp.js';
import { callUnary, etcdctl, rawClient, until } from './helpers.js';

// The Cluster service over raftkit/kv's cluster client: membership calls sent over gRPC to a
// follower are forwarded to the leader, and every member lists the names and client URLs the
// others published through Raft. Three members over loopback TCP in this process.
interface Member { id: number; name: string; replica: Replica; kv: KvClient; server: EtcdServer; url: string }
const members: Member[] = [];
const ids = [1, 2, 3];
let spare = 0;

beforeAll(async () => {
  const ports = await freePorts(7);
  spare = ports[6]!;
  const peers = ids.map((id, i) => ({ id, address: `127.0.0.1:${String(ports[i])}` }));
  await Promise.all(ids.map(async (id, i) => {
    const transport = new TcpTransport({ id, host: '127.0.0.1', port: ports[i]!, clusterId: 'cf' });
    const replica = await Replica.start({ id, storage: new MemoryStorage(), transport, stateMachine: new KvStateMachine({ electionMs: 100 }), tickMs: 10, electionTick: 10, heartbeatTick: 1, seed: id, peers });
    const name = `m${String(id)}`;
    const url = `http://127.0.0.1:${String(ports[3 + i])}`;
    const kv = new KvClient(replica, { name, clientUrls: [url] });
    const server = new EtcdServer({ replica, kv, electionTimeoutMs: 100 });
    await server.listen(url);
    members.push({ id, name, replica, kv, server, url });
  }));
  await Promise.all(members.map((m) => m.kv.published));
});
afterAll(async () => {
  for (const m of members) {
    await m.server.close();
    await m.replica.stop();
  }
});

async function roles(): Promise<{ leader: Member; follower: Member }> {
  const find = (): Member | undefined => members.find((m) => m.replica.status().role === StateType.Leader);
  await until(() => find() !== undefined, 'a leader');
  const leader = find()!;
  return { leader, follower: members.find((m) => m !== leader)! };
}

interface WireMember { ID: string; name: string; peerURLs: string[]; clientURLs: string[]; isLearner: boolean }

describe('Cluster service on a follower', () => {
  test('MemberList from a follower shows every member\'s name and client URLs (etcdctl member list too); Status answers at each URL', async () => {
    const { follower } = await roles();
    await follower.kv.range('barrier'); // a linearizable read: the follower has applied every member's publication
    const r = await callUnary(rawClient('Cluster', follower.url), 'MemberList', {});
    expect(r.err).toBeUndefined();
    const listed = (r.res!.members as WireMember[]).map((m) => ({ ID: m.ID, name: m.name, clientURLs: m.clientURLs })).sort((a, b) => a.ID.localeCompare(b.ID));
    expect(listed).toEqual(members.map((m) => ({ ID: String(m.id), name: m.name, clientURLs: [m.url] })).sort((a, b) => a.ID.localeCompare(b.ID)));

    const ctl = await etcdctl([follower.url], ['member', 'list', '-w', 'json']);
    expect(ctl.code).toBe(0);
    const json = JSON.parse(ctl.stdout) as { members: { ID: number; clientURLs?: string[] }[] };
    expect(json.members.map((m) => m.clientURLs).sort()).toEqual(members.map((m) => [m.url]).sort());

    // etcdctl's --cluster: the members' client URLs from that member, then calls at each URL (which
    // etcdctl 3.4 makes with an HTTP/2 :authority carrying the scheme: rewritten at EtcdServer's door).
    const status = await etcdctl([follower.url], ['endpoint', 'status', '--cluster', '-w', 'json']);
    expect(status.code, status.stderr).toBe(0);
    const rows = JSON.parse(status.stdout) as { Endpoint: string; Status: { header: { member_id: number; revision: number; raft_term: number }; leader: number; raftTerm: number } }[];
    expect(rows.map((x) => x.Endpoint).sort()).toEqual(members.map((m) => m.url).sort());
    expect(rows.map((x) => x.Status.header.member_id).sort()).toEqual(ids);
    expect(new Set(rows.map((x) => x.Status.leader)).size).toBe(1);
    expect(rows.every((x) => x.Status.header.revision >= 1 && x.Status.raftTerm >= 1)).toBe(true);
    const health = await etcdctl([follower.url], ['endpoint', 'health', '--cluster', '-w', 'json']);
    expect(health.code, health.stderr).toBe(0);
    const healthRows = JSON.parse(health.stdout) as { endpoint: string; health: boolean }[];
    expect(healthRows.map((x) => [x.endpoint, x.health]).sort()).toEqual(members.map((m) => [m.url, true]).sort());
    expect((await Promise.all(members.map((m) => m.server.admittedConnections()))).reduce((n, a) => n + a.rewritten, 0)).toBeGreaterThanOrEqual(3);
  });

  test('MemberAdd, a refused MemberPromote and MemberRemove sent to a follower are forwarded to the leader', async () => {
    const { leader, follower } = await roles();
    const cluster = rawClient('Cluster', follower.url);
    const peerURLs = [`http://127.0.0.1:${String(spare)}`];
    const id = memberIdFor(peerURLs, 'etcd-cluster');

    const add = await callUnary(cluster, 'MemberAdd', { peerURLs, isLearner: true });
    expect(add.err).toBeUndefined();
    const added = add.res!.member as WireMember;
    expect(added).toMatchObject({ ID: String(id), peerURLs, isLearner: true, clientURLs: [] });
    expect((add.res!.members as WireMember[]).map((m) => m.ID)).toContain(String(id));
    await leader.kv.range('barrier');
    expect(leader.replica.status().config.learners).toEqual([id]);

    // Nobody runs at the spare address, so the learner never catches up: the leader refuses, with etcd's code and text.
    const promote = await callUnary(cluster, 'MemberPromote', { ID: String(id) });
    expect(promote.err?.code).toBe(9); // FAILED_PRECONDITION
    expect(promote.err?.details).toBe('etcdserver: can only promote a learner member which is in sync with leader');

    const rm = await callUnary(cluster, 'MemberRemove', { ID: String(id) });
    expect(rm.err).toBeUndefined();
    expect((rm.res!.members as WireMember[]).map((m) => m.ID).sort()).toEqual(ids.map(String));
    await leader.kv.range('barrier');
    expect(leader.replica.status().config.learners).toEqual([]);
    expect(leader.replica.status().config.voters.sort()).toEqual(ids);
  });
});
