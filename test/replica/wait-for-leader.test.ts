import { afterEach, expect, test } from 'vitest';
import { MemoryStorage } from '../../src/raft/log-storage.js';
import { ProposalDroppedError } from '../../src/raft/errors.js';
import { TimeoutError } from '../../src/replica/errors.js';
import { Replica } from '../../src/replica/replica.js';
import type { Command, StateMachine } from '../../src/replica/state-machine.js';
import { TcpTransport } from '../../src/transport/tcp.js';
import { Cluster, addr, set } from './helpers/cluster.js';

let cluster: Cluster | undefined;
const running: Replica<number>[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop()));
  await cluster?.close();
  cluster = undefined;
});

/** The README's Counter, verbatim in behaviour. */
class Counter implements StateMachine<number> {
  value = 0;
  applied = 0;
  appliedIndex(): number {
    return this.applied;
  }
  apply(commands: readonly Command[]): number[] {
    return commands.map((c) => {
      this.applied = c.index;
      return (this.value += c.data[0]!);
    });
  }
  snapshot(): Uint8Array {
    return new TextEncoder().encode(String(this.value));
  }
  restore(s: { index: number; data: Uint8Array }): void {
    this.value = Number(new TextDecoder().decode(s.data));
    this.applied = s.index;
  }
}

test("the README's example works: propose and read right after Replica.start, before any leader is known", async () => {
  const transports = await Promise.all([1, 2, 3].map(async (id) => {
    const t = new TcpTransport({ id, host: '127.0.0.1', port: 0 });
    await t.start();
    return t;
  }));
  const peers = transports.map((t) => ({ id: t.id, address: t.address! }));
  const sms = transports.map(() => new Counter());
  const replicas = await Promise.all(transports.map((t, i) => Replica.start({ id: t.id, peers, storage: new MemoryStorage(), transport: t, stateMachine: sms[i]!, tickMs: 10 })));
  running.push(...replicas);
  const replica = replicas[0]!;
  expect(replica.status().leader).toBe(0);
  const total = await replica.propose(Uint8Array.of(5)); // resolves once applied here
  expect(total).toBe(5);
  await replica.read();
  expect(sms[0]!.value).toBe(5);
});

test('waitForLeader: false fails fast with ProposalDroppedError while no leader is known', async () => {
  const c = (cluster = new Cluster());
  const peers = [1, 2, 3].map((id) => ({ id, address: addr(id) }));
  const r = await c.start(1, { peers });
  expect(r.status().leader).toBe(0);
  await expect(r.propose(set('a', '1'), { waitForLeader: false })).rejects.toBeInstanceOf(ProposalDroppedError);
  await expect(r.read({ waitForLeader: false })).rejects.toBeInstanceOf(ProposalDroppedError);
});

test('a proposal and a read with no leader to be found wait until their timeout, then fail with TimeoutError', async () => {
  const c = (cluster = new Cluster());
  const peers = [1, 2, 3].map((id) => ({ id, address: addr(id) }));
  const r = await c.start(1, { peers }); // alone: no quorum, never a leader
  const p = r.propose(set('a', '1'), { timeoutMs: 300 });
  const q = r.read({ timeoutMs: 300 });
  await expect(p).rejects.toBeInstanceOf(TimeoutError);
  await expect(q).rejects.toBeInstanceOf(TimeoutError);
  expect(r.status().pending).toBe(0);
});

test('requests made while a leader is missing are submitted when one is elected', async () => {
  const c = (cluster = new Cluster());
  const peers = [1, 2, 3].map((id) => ({ id, address: addr(id) }));
  const first = await c.start(1, { peers });
  const waiting = [first.propose(set('x', '1')), first.propose(set('y', '2')), first.read()];
  await c.start(2, { peers });
  await c.start(3, { peers });
  const [ix, iy, readIndex] = await Promise.all(waiting);
  expect(iy).toBeGreaterThan(ix as number);
  expect(readIndex).toBeGreaterThanOrEqual(1);
  expect(c.machines.get(1)!.data.get('y')).toBe('2');
});
