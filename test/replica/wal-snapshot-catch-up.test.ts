import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryLevel } from 'memory-level';
import { afterEach, expect, test } from 'vitest';
import { encodeCommand } from '../../src/kv/commands.js';
import { KvStateMachine, type KvResult } from '../../src/kv/kv-state-machine.js';
import { range } from '../../src/kv/mvcc/range.js';
import { StateType } from '../../src/raft/ready.js';
import { Replica } from '../../src/replica/replica.js';
import { WalStorage } from '../../src/storage/wal/wal-storage.js';
import { TcpTransport } from '../../src/transport/tcp.js';
import { waitUntil } from './helpers/cluster.js';
import { freePorts } from '../../examples/kv-cluster/driver.js';

const dirs: string[] = [];
const running: Replica<KvResult>[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const newKv = (): KvStateMachine => new KvStateMachine({ db: new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' }) });

async function member(id: number, dir: string, sm: KvStateMachine, port: number, peers?: { id: number; address: string }[]): Promise<Replica<KvResult>> {
  const transport = new TcpTransport({ id, port, reconnect: { initialDelayMs: 10, maxDelayMs: 50 }, snapshotChunkSize: 16 * 1024 });
  const storage = new WalStorage({ dir, segmentSize: 1 << 20 });
  const r = await Replica.start<KvResult>({ id, storage, transport, stateMachine: sm, tickMs: 10, electionTick: 10, heartbeatTick: 1, seed: id, snapshotEvery: 40, compactionTail: 2, requestTimeoutMs: 30_000, ...(peers === undefined ? {} : { peers }) });
  running.push(r);
  return r;
}

async function everything(sm: KvStateMachine): Promise<string[]> {
  await sm.ready();
  const r = await range(sm.store.readView(), { key: '\0', rangeEnd: '\0' });
  return r.kvs.map((kv) => `${new TextDecoder().decode(kv.key)}=${new TextDecoder().decode(kv.value)}@${kv.modRevision}`);
}

test('WalStorage members: a KV snapshot taken in the background is streamed to a lagging member, staged, restored, and restored again after a restart', async () => {
  const ids = [1, 2, 3];
  const paths = ids.map(() => mkdtempSync(join(tmpdir(), 'raftkit-walsnap-')));
  dirs.push(...paths);
  const ports = await freePorts(ids.length);
  const peers = ids.map((id, i) => ({ id, address: `127.0.0.1:${ports[i]}` }));
  const machines = ids.map(() => newKv());
  const replicas = await Promise.all(ids.map((id, i) => member(id, paths[i]!, machines[i]!, ports[i]!, peers)));
  let leader: Replica<KvResult> | undefined;
  await waitUntil(replicas as never, ['leader-change'], () => {
    leader = replicas.find((r) => r.status().role === StateType.Leader);
    return leader !== undefined && replicas.every((r) => r.status().leader === leader!.id);
  }, 'a leader');
  const li = ids.findIndex((id) => id !== leader!.id);
  await replicas[li]!.stop();
  const snapshots: number[] = [];
  leader!.on('snapshot', (kind, index) => kind === 'created' && snapshots.push(index));
  for (let i = 0; i < 150; i++) await leader!.propose(encodeCommand({ op: 'put', req: { key: `k${i % 60}`, value: `v${i}`, lease: 0n } }));
  await waitUntil([leader!] as never, ['snapshot'], () => snapshots.length >= 2, 'two snapshots on the leader');
  const want = await everything(machines[ids.indexOf(leader!.id)]!);

  const fresh = newKv();
  const back = await member(ids[li]!, paths[li]!, fresh, ports[li]!);
  const restored: number[] = [];
  back.on('snapshot', (kind, index) => kind === 'restored' && restored.push(index));
  await waitUntil([back] as never, ['applied', 'snapshot'], () => back.status().applied >= leader!.status().commit, 'the lagging member to catch up', 30_000);
  expect(await everything(fresh)).toEqual(want);
  expect(restored.length).toBeGreaterThan(0);
  await back.stop();
  running.splice(running.indexOf(back), 1);

  // Its stored snapshot is read back from its file by reference when a fresh state machine starts on it.
  const again = newKv();
  const restarted = await member(ids[li]!, paths[li]!, again, ports[li]!);
  await waitUntil([restarted] as never, ['applied'], () => restarted.status().applied >= leader!.status().commit, 'the restarted member', 30_000);
  expect(await everything(again)).toEqual(want);
}, 60_000);
