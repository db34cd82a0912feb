/**
 * Fuzz test of peer input at the transport level: mutated valid messages (see
 * `chaos/hostile-peer.ts`) sent over real TCP connections, in the names of the other
 * members, to a live 3-member cluster. Afterwards every member must still be running, and the
 * cluster must elect, commit and agree. Prints the refusals by code.
 *
 * `PEER_FUZZ_MESSAGES=<n>` sends more (default 100,000); `PEER_FUZZ_SEED=<n>` picks the seed.
 */
import { afterEach, expect, test } from 'vitest';
import { HostilePeer } from '../../chaos/hostile-peer.js';
import { MemoryStorage } from '../../src/raft/log-storage.js';
import { StateType } from '../../src/raft/ready.js';
import { ENVELOPE_OVERHEAD } from '../../src/replica/envelope.js';
import { Replica } from '../../src/replica/replica.js';
import { TcpTransport } from '../../src/transport/tcp.js';
import { UNIDENTIFIED_PEER } from '../../src/transport/transport.js';
import { KvMachine, set, waitUntil } from './helpers/cluster.js';

const MESSAGES = Number(process.env['PEER_FUZZ_MESSAGES'] ?? 100_000);
const SEED = Number(process.env['PEER_FUZZ_SEED'] ?? 11);
const MAX_REQUEST_BYTES = 4096;

const running: Replica<number>[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop()));
});

async function refusedByCode(r: Replica<number>): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [, code, n] of (await r.metrics()).matchAll(/raft_messages_refused_total\{code="([A-Z_]+)"\} (\d+)/g)) out[code!] = Number(n);
  return out;
}

test(`fuzz: ${MESSAGES} mutated peer messages over TCP to a live 3-member cluster stop no member (seed ${SEED})`, { timeout: 180_000 }, async () => {
  const transports = await Promise.all([1, 2, 3].map(async (id) => {
    const t = new TcpTransport({ id, reconnect: { initialDelayMs: 10, maxDelayMs: 100 }, maxUnidentifiedConnections: 1024 });
    t.on('error', () => undefined);
    await t.start();
    return t;
  }));
  const peers = transports.map((t) => ({ id: t.id, address: t.address! }));
  const machines = new Map(peers.map(({ id }) => [id, new KvMachine()]));
  const replicas = await Promise.all(transports.map((t) =>
    Replica.start<number>({ id: t.id, peers, storage: new MemoryStorage(), transport: t, stateMachine: machines.get(t.id)!, tickMs: 20, electionTick: 10, heartbeatTick: 1, seed: t.id, maxRequestBytes: MAX_REQUEST_BYTES })));
  running.push(...replicas);
  const errors: string[] = [];
  for (const r of replicas) r.on('error', (e) => errors.push(`member ${r.id}: ${e.stack ?? String(e)}`));
  await replicas[0]!.propose(set('before', '1'));

  const view = (id: number) => () => {
    const s = replicas[id - 1]!.status();
    return { term: s.term, commit: s.commit };
  };
  // Each member gets a third of the messages, in the name of each of the other two members.
  const hostile = replicas.flatMap((r) => peers.filter((p) => p.id !== r.id).map((p) =>
    new HostilePeer({ address: peers[r.id - 1]!.address, id: r.id, claim: p.id }, SEED * 31 + r.id * 7 + p.id, MAX_REQUEST_BYTES + ENVELOPE_OVERHEAD)));
  const started = performance.now();
  const per = Math.ceil(MESSAGES / hostile.length);
  await Promise.all(hostile.map((h, i) => h.send(per, view(Math.floor(i / 2) + 1))));
  const seconds = (performance.now() - started) / 1000;
  for (const h of hostile) h.close();

  expect(errors).toEqual([]);
  for (const r of replicas) expect(r.lifecycle, `member ${r.id}`).toBe('open');
  // The cluster still elects, commits and agrees.
  let leader: Replica<number> | undefined;
  await waitUntil(replicas, ['leader-change', 'role-change'], () => {
    leader = replicas.find((r) => r.status().role === StateType.Leader);
    return leader !== undefined && replicas.every((r) => r.status().leader === leader!.id);
  }, 'a leader after the fuzz', 30_000);
  let last = 0;
  for (let i = 0; i < 20; i++) last = await replicas[i % 3]!.propose(set(`after${i}`, String(i)));
  await waitUntil(replicas, ['applied'], () => replicas.every((r) => r.status().applied >= last), 'every member to apply', 30_000);
  const datas = [...machines.values()].map((m) => JSON.stringify([...m.data].sort()));
  expect(new Set(datas).size).toBe(1);
  expect(machines.get(1)!.data.get('after19')).toBe('19');

  const refused: Record<string, number> = {};
  for (const r of replicas) for (const [code, n] of Object.entries(await refusedByCode(r))) refused[code] = (refused[code] ?? 0) + n;
  let framesRefused = 0;
  for (const t of transports) for (const [, s] of t.stats()) framesRefused += s.framesRefused;
  const sent = hostile.reduce((a, h) => ({ messages: a.messages + h.stats.messages, snapshots: a.snapshots + h.stats.snapshots, closing: a.closing + h.stats.closing, connections: a.connections + h.stats.connections }), { messages: 0, snapshots: 0, closing: 0, connections: 0 });
  console.log(`peer fuzz (seed ${SEED}): sent ${JSON.stringify(sent)} in ${seconds.toFixed(1)} s; refused by the replicas by code ${JSON.stringify(refused)}; frames/connections refused by the transports ${framesRefused} (unidentified ${transports.reduce((a, t) => a + (t.stats().get(UNIDENTIFIED_PEER)?.framesRefused ?? 0), 0)}); final term ${leader!.status().term}`);
  expect(sent.messages + sent.snapshots + sent.closing).toBeGreaterThanOrEqual(MESSAGES);
  expect(refused['ERR_MESSAGE_REFUSED'] ?? 0).toBeGreaterThan(MESSAGES / 3);
});
