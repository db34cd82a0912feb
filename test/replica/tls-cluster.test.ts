import { afterAll, afterEach, expect, test } from 'vitest';
import { MemoryStorage } from '../../src/raft/log-storage.js';
import { StateType } from '../../src/raft/ready.js';
import { Replica } from '../../src/replica/replica.js';
import { TcpTransport } from '../../src/transport/tcp.js';
import { UNIDENTIFIED_PEER } from '../../src/transport/transport.js';
import { createPki } from '../transport/helpers.js';
import { KvMachine, set, waitUntil } from './helpers/cluster.js';

// One throwaway PKI for the file: the cluster's CA, and another CA that signs an impostor.
const pki = createPki(['ca', 'other']);
afterAll(() => pki.dispose());

const running: Replica<number>[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop()));
});

/** A started (listening) TLS transport for `id` with a certificate signed by `caName`; every member trusts only 'ca'. */
async function tlsTransport(id: number, caName = 'ca'): Promise<TcpTransport> {
  const t = new TcpTransport({ id, tls: { ...pki.member(`member-${id}`, caName), ca: pki.ca['ca']! }, reconnect: { initialDelayMs: 10, maxDelayMs: 50 } });
  await t.start();
  return t;
}

async function startReplica(t: TcpTransport, sm: KvMachine, membership: { peers?: { id: number; address: string }[]; join?: { id: number; address: string }[] }): Promise<Replica<number>> {
  const r = await Replica.start<number>({ id: t.id, storage: new MemoryStorage(), transport: t, stateMachine: sm, tickMs: 10, electionTick: 10, heartbeatTick: 1, seed: t.id, ...membership });
  running.push(r);
  return r;
}

test('three replicas over mutual TLS elect and write; a member whose certificate another CA signed cannot join, one with a valid certificate can', async () => {
  const transports = await Promise.all([1, 2, 3].map((id) => tlsTransport(id)));
  const peers = transports.map((t) => ({ id: t.id, address: t.address! }));
  const machines = new Map(peers.map(({ id }) => [id, new KvMachine()]));
  const replicas = await Promise.all(transports.map((t) => startReplica(t, machines.get(t.id)!, { peers })));
  let leader: Replica<number> | undefined;
  await waitUntil(replicas, ['leader-change'], () => {
    leader = replicas.find((r) => r.status().role === StateType.Leader);
    return leader !== undefined && replicas.every((r) => r.status().leader === leader!.id);
  }, 'a leader');
  for (let i = 0; i < 5; i++) await leader!.propose(set(`k${i}`, String(i)));
  await waitUntil(replicas, ['applied'], () => replicas.every((r) => r.status().applied >= leader!.status().commit), 'every member to apply');
  for (const sm of machines.values()) expect(sm.data.get('k4')).toBe('4');
  const leaderTransport = transports.find((t) => t.id === leader!.id)!;

  // Member 4's certificate is signed by 'other': the leader refuses it in every TLS handshake.
  const impostorTransport = await tlsTransport(4, 'other');
  await leader!.addMember(4, impostorTransport.address!, { learner: true });
  const impostorSm = new KvMachine();
  const impostor = await startReplica(impostorTransport, impostorSm, { join: peers });
  let refusals = 0;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the leader never reported member 4 unreachable')), 10_000);
    leaderTransport.on('unreachable', (peer) => {
      if (peer !== 4 || ++refusals < 5) return;
      clearTimeout(timer);
      resolve();
    });
  });
  const toImpostor = leaderTransport.stats().get(4)!;
  expect(toImpostor.connects).toBe(0);
  expect(toImpostor.connectFailures).toBeGreaterThanOrEqual(1);
  expect(toImpostor.messagesSent).toBe(0);
  expect(impostor.status().applied).toBe(0);
  expect(impostor.status().commit).toBe(0);
  expect(impostorSm.applyCalls).toBe(0);
  expect(leader!.status().progress!.get(4)!.match).toBe(0);
  // Nothing the impostor could say would be accepted either: no member counts a message from it.
  for (const t of transports) expect(t.stats().get(4)?.messagesReceived ?? 0).toBe(0);
  await leader!.removeMember(4);

  // Member 5's certificate is signed by the cluster's CA: it joins and catches up.
  const goodTransport = await tlsTransport(5);
  await leader!.addMember(5, goodTransport.address!, { learner: true });
  const goodSm = new KvMachine();
  const good = await startReplica(goodTransport, goodSm, { join: peers });
  await waitUntil([good], ['applied'], () => good.status().applied >= leader!.status().commit, 'member 5 to catch up');
  expect(goodSm.data.get('k4')).toBe('4');
  await leader!.propose(set('after', 'join'));
  await waitUntil([good], ['applied'], () => goodSm.data.get('after') === 'join', 'member 5 to apply a new write');
  expect(leaderTransport.stats().get(5)!.connects).toBeGreaterThanOrEqual(1);
  expect(leaderTransport.stats().get(UNIDENTIFIED_PEER)?.framesRefused ?? 0).toBe(0);
});
