/**
 * Walks the public API with wrong arguments, as a careless caller would: every error must be
 * a `RaftkitError` with a stable `code`, raised at once (no half-done work, no raw
 * `TypeError`), and wrapped errors of dependencies must name what failed.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { RaftkitError } from '../../src/errors.js';
import { MemoryStorage } from '../../src/raft/log-storage.js';
import { RaftNode } from '../../src/raft/raft-node.js';
import { Replica } from '../../src/replica/replica.js';
import type { ReplicaOptions } from '../../src/replica/options.js';
import { LevelStorage } from '../../src/storage/level-storage.js';
import { StorageOpenError } from '../../src/storage/errors.js';
import { InProcessNetwork } from '../../src/transport/in-process.js';
import { TcpTransport } from '../../src/transport/tcp.js';
import { Cluster, KvMachine, addr, set } from './helpers/cluster.js';

const dir = mkdtempSync(join(tmpdir(), 'raftkit-api-args-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

/** Runs `f` and returns what it threw or rejected with. */
async function failure(f: () => unknown): Promise<unknown> {
  try {
    await f();
  } catch (err) {
    return err;
  }
  return undefined;
}

function expectRaftkit(err: unknown, code?: string): void {
  expect(err, 'an error').toBeInstanceOf(RaftkitError);
  expect(typeof (err as RaftkitError).code).toBe('string');
  expect((err as RaftkitError).code).toMatch(/^ERR_[A-Z_]+$/);
  if (code !== undefined) expect((err as RaftkitError).code).toBe(code);
}

const any = (v: unknown): never => v as never;

describe('Replica.start refuses invalid options up front, and closes what it opened when it fails later', () => {
  const base = (net: InProcessNetwork, over: Record<string, unknown> = {}): ReplicaOptions<number> => ({
    id: 1, peers: [{ id: 1, address: addr(1) }], storage: new MemoryStorage(), transport: net.transport(1), stateMachine: new KvMachine(), tickMs: 10, ...over,
  });

  test.each([
    { what: 'no options', over: undefined },
    { what: 'id NaN', over: { id: NaN } },
    { what: 'id -1', over: { id: -1 } },
    { what: 'duplicate peer ids', over: { peers: [{ id: 1, address: addr(1) }, { id: 2, address: addr(2) }, { id: 2, address: addr(3) }] } },
    { what: 'peers without its own id', over: { peers: [{ id: 2, address: addr(2) }, { id: 3, address: addr(3) }] } },
    { what: 'a peer with an empty address', over: { peers: [{ id: 1, address: '' }] } },
    { what: 'peers not an array', over: { peers: 'x' } },
    { what: 'a storage that is not one', over: { storage: {} } },
    { what: 'a transport of another id', over: { transport: undefined } },
    { what: 'a state machine without apply', over: { stateMachine: { appliedIndex: () => 0 } } },
    { what: 'tickMs as a string', over: { tickMs: '10' } },
    { what: 'tickMs 0', over: { tickMs: 0 } },
    { what: 'electionTick NaN', over: { electionTick: NaN } },
    { what: 'maxRequestBytes -5', over: { maxRequestBytes: -5 } },
    { what: 'checkQuorum "yes"', over: { checkQuorum: 'yes' } },
    { what: 'incarnation 2^33', over: { incarnation: 2 ** 33 } },
    { what: 'healthIntervalMs -1', over: { healthIntervalMs: -1 } },
    { what: 'healthIntervalMs 0.5', over: { healthIntervalMs: 0.5 } },
    { what: 'healthIntervalMs as a string', over: { healthIntervalMs: '5000' } },
    { what: 'initialElectionTickAdvance as another string', over: { initialElectionTickAdvance: 'single' } },
    { what: 'initialElectionTickAdvance as a number', over: { initialElectionTickAdvance: 1 } },
  ])('$what → ConfigInvalidError', async ({ over }) => {
    const net = new InProcessNetwork();
    const o = over === undefined ? undefined : { ...base(net), ...over, ...(over.transport === undefined && 'transport' in over ? { transport: net.transport(2) } : {}) };
    const err = await failure(() => Replica.start(any(o)));
    expectRaftkit(err, 'ERR_CONFIG_INVALID');
    net.close();
  });

  test('a failed start closes the storage it opened (the directory is not left locked)', async () => {
    const path = join(dir, 'locked-after-failure');
    const net = new InProcessNetwork();
    const storage = new LevelStorage({ path });
    // Valid shape, but the frame budget fails after the storage was opened.
    const err = await failure(() => Replica.start({ ...base(net), storage, transport: net.transport(1, { maxFrameSize: 1024 }) }));
    expectRaftkit(err, 'ERR_CONFIG_INVALID');
    expect(storage.status).toBe('closed');
    const again = await LevelStorage.open({ path });
    await again.close();
    net.close();
  });
});

describe('dependency and platform errors are wrapped and name what failed', () => {
  test('LevelStorage.open on a path that is a file', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    const err = await failure(() => LevelStorage.open({ path: join(file, 'db') }));
    expectRaftkit(err, 'ERR_STORAGE_OPEN');
    expect((err as StorageOpenError).message).toContain(join(file, 'db'));
    expect((err as StorageOpenError).cause).toBeDefined();
  });

  test('LevelStorage.open on a directory another storage holds (locked)', async () => {
    const path = join(dir, 'locked');
    const first = await LevelStorage.open({ path });
    const err = await failure(() => LevelStorage.open({ path }));
    expectRaftkit(err, 'ERR_STORAGE_OPEN');
    expect((err as Error).message).toContain(path);
    expect((err as Error).message).toMatch(/LEVEL_LOCKED|lock/i);
    await first.close();
  });

  test('a port in use: ListenFailedError naming the address', async () => {
    const a = new TcpTransport({ id: 1 });
    await a.start();
    const port = Number(a.address!.split(':')[1]);
    const err = await failure(() => new TcpTransport({ id: 2, port }).start());
    expectRaftkit(err, 'ERR_LISTEN_FAILED');
    expect((err as Error).message).toContain(`127.0.0.1:${port}`);
    await a.close();
  });
});

describe('every Replica method validates its arguments at once', () => {
  test.each([
    { what: 'propose a string', call: (r: Replica<number>) => r.propose(any('hello')), code: 'ERR_INVALID_ARGUMENT' },
    { what: 'propose undefined', call: (r: Replica<number>) => r.propose(any(undefined)), code: 'ERR_INVALID_ARGUMENT' },
    { what: 'propose an array of numbers', call: (r: Replica<number>) => r.propose(any([1, 2])), code: 'ERR_INVALID_ARGUMENT' },
    { what: 'propose with timeoutMs -1', call: (r: Replica<number>) => r.propose(set('a', '1'), { timeoutMs: -1 }), code: 'ERR_INVALID_ARGUMENT' },
    { what: 'propose with options null', call: (r: Replica<number>) => r.propose(set('a', '1'), any(null)), code: 'ERR_INVALID_ARGUMENT' },
    { what: 'read with timeoutMs "x"', call: (r: Replica<number>) => r.read(any({ timeoutMs: 'x' })), code: 'ERR_INVALID_ARGUMENT' },
    { what: 'read with waitForLeader 1', call: (r: Replica<number>) => r.read(any({ waitForLeader: 1 })), code: 'ERR_INVALID_ARGUMENT' },
    { what: 'addMember NaN', call: (r: Replica<number>) => r.addMember(NaN, addr(4)), code: 'ERR_INVALID_ARGUMENT' },
    { what: 'addMember -1', call: (r: Replica<number>) => r.addMember(-1, addr(4)), code: 'ERR_INVALID_ARGUMENT' },
    { what: 'addMember 1.5', call: (r: Replica<number>) => r.addMember(1.5, addr(4)), code: 'ERR_INVALID_ARGUMENT' },
    { what: 'addMember with an address with spaces', call: (r: Replica<number>) => r.addMember(4, 'not an address'), code: 'ERR_INVALID_ARGUMENT' },
    { what: 'addMember with an empty address', call: (r: Replica<number>) => r.addMember(4, ''), code: 'ERR_INVALID_ARGUMENT' },
    { what: 'addMember with a number as address', call: (r: Replica<number>) => r.addMember(4, any(1234)), code: 'ERR_INVALID_ARGUMENT' },
    { what: 'addMember with learner "yes"', call: (r: Replica<number>) => r.addMember(4, addr(4), any({ learner: 'yes' })), code: 'ERR_INVALID_ARGUMENT' },
    { what: 'removeMember "2"', call: (r: Replica<number>) => r.removeMember(any('2')), code: 'ERR_INVALID_ARGUMENT' },
    { what: 'promoteMember 0', call: (r: Replica<number>) => r.promoteMember(0), code: 'ERR_INVALID_ARGUMENT' },
    { what: 'changeMembership with a non-array', call: (r: Replica<number>) => r.changeMembership(any({ type: 'remove', id: 2 })), code: 'ERR_INVALID_ARGUMENT' },
    { what: 'changeMembership with an unknown type', call: (r: Replica<number>) => r.changeMembership(any([{ type: 'drop', id: 2 }])), code: 'ERR_INVALID_ARGUMENT' },
    { what: 'changeMembership adding a learner without an address', call: (r: Replica<number>) => r.changeMembership(any([{ type: 'add-learner', id: 4 }])), code: 'ERR_INVALID_ARGUMENT' },
    { what: 'changeMembership with id -3', call: (r: Replica<number>) => r.changeMembership([{ type: 'remove', id: -3 }]), code: 'ERR_INVALID_ARGUMENT' },
    { what: 'transferLeadership NaN', call: (r: Replica<number>) => r.transferLeadership(NaN), code: 'ERR_INVALID_ARGUMENT' },
    { what: 'propose a command over maxRequestBytes', call: (r: Replica<number>) => r.propose(new Uint8Array(2_000_000)), code: 'ERR_REQUEST_TOO_LARGE' },
  ])('$what → $code, and nothing was proposed', async ({ call, code }) => {
    const c = (cluster = await Cluster.create([1, 2, 3]));
    const leader = await c.waitLeader();
    const before = leader.status().commit;
    expectRaftkit(await failure(() => call(leader)), code);
    // Nothing was proposed: the next proposal lands right after what was there.
    const index = await leader.propose(set('after', '1'));
    expect(index).toBe(before + 1);
    expect(leader.status().config.voters).toEqual([1, 2, 3]);
    expect(leader.status().config.learners).toEqual([]);
  });

  test('an address the TCP transport cannot dial is refused before anything is proposed', async () => {
    const t = new TcpTransport({ id: 1 });
    await t.start();
    const r = await Replica.start({ id: 1, peers: [{ id: 1, address: t.address! }], storage: new MemoryStorage(), transport: t, stateMachine: new KvMachine(), tickMs: 10 });
    await r.propose(set('a', '1'));
    expectRaftkit(await failure(() => r.addMember(2, 'no-port-here')), 'ERR_INVALID_ARGUMENT');
    expect(r.status().config.learners).toEqual([]);
    await r.stop();
  });

  test('the other public constructors refuse bad arguments with RaftkitErrors', async () => {
    for (const f of [
      () => new TcpTransport(any({ id: 0 })),
      () => new TcpTransport(any({ id: 1, port: 'x' })),
      () => new TcpTransport(any({ id: 1, tls: { key: 'k', cert: 'c', ca: 'a', bindMemberId: 'no' } })),
      () => new TcpTransport({ id: 1 }).addPeer(2, 'nope'),
      () => new RaftNode(any({})),
      () => new LevelStorage(any({})),
    ]) {
      expectRaftkit(await failure(f));
    }
  });
});
