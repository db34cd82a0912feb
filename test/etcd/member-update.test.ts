import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { freePorts } from '../../examples/kv-cluster/driver.js';
import { EtcdServer } from '../../src/etcd/server.js';
import { KvClient } from '../../src/kv/kv-client.js';
import { KvStateMachine } from '../../src/kv/kv-state-machine.js';
import { MemoryStorage } from '../../src/raft/log-storage.js';
import { StateType } from '../../src/raft/ready.js';
import { Replica } from '../../src/replica/replica.js';
import { TcpTransport } from '../../src/transport/tcp.js';
import { callUnary, rawClient, until } from './helpers.js';

// Three members over loopback TCP in this process (MemberUpdate moves a peer address, which an
// in-process network has no use for).
interface Member { replica: Replica; kv: KvClient; server: EtcdServer; url: string; storage: MemoryStorage; sm: KvStateMachine }
const members = new Map<number, Member>();
const ids = [1, 2, 3];
let ports: number[] = [];

async function startMember(id: number, port: number, peers?: { id: number; address: string }[], storage = new MemoryStorage(), sm = new KvStateMachine({ electionMs: 100 })): Promise<Member> {
  const transport = new TcpTransport({ id, host: '127.0.0.1', port, clusterId: 'mu' });
  const replica = await Replica.start({ id, storage, transport, stateMachine: sm, tickMs: 10, electionTick: 10, heartbeatTick: 1, seed: id, ...(peers === undefined ? {} : { peers }) });
  const kv = new KvClient(replica);
  const server = new EtcdServer({ replica, kv, electionTimeoutMs: 100 });
  const m = { replica, kv, server, url: await server.listen('http://127.0.0.1:0'), storage, sm };
  members.set(id, m);
  return m;
}

async function leader(): Promise<Member> {
  const find = (): Member | undefined => [...members.values()].find((m) => m.replica.lifecycle === 'open' && m.replica.status().role === StateType.Leader);
  await until(() => find() !== undefined, 'a leader');
  return find()!;
}

beforeAll(async () => {
  ports = await freePorts(4);
  const peers = ids.map((id, i) => ({ id, address: `127.0.0.1:${String(ports[i])}` }));
  await Promise.all(ids.map((id, i) => startMember(id, ports[i]!, peers)));
});
afterAll(async () => {
  for (const m of members.values()) {
    await m.server.close();
    await m.replica.stop();
  }
});

interface WireMember { ID: string; peerURLs: string[] }

async function memberList(m: Member): Promise<WireMember[]> {
  await m.kv.range('barrier'); // a linearizable read: this member has applied every change
  const r = await callUnary(rawClient('Cluster', m.url), 'MemberList', {});
  expect(r.err).toBeUndefined();
  return r.res!.members as WireMember[];
}

describe('Cluster.MemberUpdate', () => {
  test('refuses as etcd does: an unknown member, another member\'s peer URL, a malformed URL', async () => {
    const l = await leader();
    const cluster = rawClient('Cluster', l.url);
    const unknown = await callUnary(cluster, 'MemberUpdate', { ID: '4242', peerURLs: ['http://127.0.0.1:1'] });
    expect([unknown.err?.code, unknown.err?.details]).toEqual([status.NOT_FOUND, 'etcdserver: member not found']);
    const other = ids.find((id) => id !== l.replica.id)!;
    const dup = await callUnary(cluster, 'MemberUpdate', { ID: String(other), peerURLs: [`http://127.0.0.1:${String(ports[ids.indexOf(l.replica.id)])}`] });
    expect([dup.err?.code, dup.err?.details]).toEqual([status.FAILED_PRECONDITION, 'etcdserver: Peer URLs already exists']);
    const bad = await callUnary(cluster, 'MemberUpdate', { ID: String(other), peerURLs: ['not a url'] });
    expect([bad.err?.code, bad.err?.details]).toEqual([status.INVALID_ARGUMENT, 'etcdserver: given member URLs are invalid']);
  });

  test('moves a member\'s peer URL through Raft (every member lists it, the id stays); the member restarted there rejoins', async () => {
    const l = await leader();
    const target = ids.find((id) => id !== l.replica.id)!;
    const moved = `http://127.0.0.1:${String(ports[3])}`;
    const r = await callUnary(rawClient('Cluster', l.url), 'MemberUpdate', { ID: String(target), peerURLs: [moved] });
    expect(r.err).toBeUndefined();
    expect((r.res!.members as WireMember[]).find((m) => m.ID === String(target))?.peerURLs).toEqual([moved]);
    // The others list it at once; the member itself is unreachable for its peers until it listens there.
    for (const [id, m] of members) if (id !== target) expect((await memberList(m)).find((x) => x.ID === String(target))?.peerURLs).toEqual([moved]);
    // As an operator does after `etcdctl member update`: restart the member on its new URL.
    const old = members.get(target)!;
    await old.server.close();
    await old.replica.stop();
    const restarted = await startMember(target, ports[3]!, undefined, old.storage, old.sm);
    await l.kv.put('after-move', 'yes');
    const got = await restarted.kv.range('after-move');
    expect(new TextDecoder().decode(got.kvs[0]?.value)).toBe('yes');
    expect((await memberList(restarted)).find((x) => x.ID === String(target))?.peerURLs).toEqual([moved]);
  });
});
