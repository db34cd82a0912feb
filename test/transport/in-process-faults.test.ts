import { afterEach, describe, expect, test } from 'vitest';
import { encodeFrame } from '../../src/codec/frame.js';
import type { Message } from '../../src/raft/messages.js';
import { FrameRefusedError } from '../../src/transport/errors.js';
import { InProcessNetwork } from '../../src/transport/in-process.js';
import type { InProcessTransport } from '../../src/transport/in-process-transport.js';
import type { Scheduler } from '../../src/transport/scheduler.js';
import { appMsg, next, record } from './helpers.js';

/** A manual clock: `advance(ms)` runs what became due, in time order. */
class ManualScheduler implements Scheduler {
  now = 0;
  #tasks: { at: number; seq: number; fn: () => void }[] = [];
  #seq = 0;
  schedule(fn: () => void, ms: number): () => void {
    const task = { at: this.now + ms, seq: this.#seq++, fn };
    this.#tasks.push(task);
    return () => {
      this.#tasks = this.#tasks.filter((t) => t !== task);
    };
  }
  advance(ms: number): void {
    const until = this.now + ms;
    for (;;) {
      this.#tasks.sort((x, y) => x.at - y.at || x.seq - y.seq);
      const t = this.#tasks[0];
      if (t === undefined || t.at > until) break;
      this.#tasks.shift();
      this.now = t.at;
      t.fn();
    }
    this.now = until;
  }
}

const networks: InProcessNetwork[] = [];
afterEach(() => networks.splice(0).forEach((n) => n.close()));

async function cluster(seed: number, ids: number[], scheduler?: Scheduler): Promise<{ net: InProcessNetwork; t: Map<number, InProcessTransport> }> {
  const net = new InProcessNetwork(scheduler === undefined ? { seed } : { seed, scheduler });
  networks.push(net);
  const t = new Map<number, InProcessTransport>();
  for (const id of ids) {
    const tr = net.transport(id);
    tr.on('error', () => undefined);
    await tr.start();
    t.set(id, tr);
  }
  for (const a of ids) for (const b of ids) if (a !== b) t.get(a)!.addPeer(b, t.get(b)!.address);
  return { net, t };
}

function indexes(ms: Message[]): number[] {
  return ms.map((m) => m.index);
}

/** Sends 1..n from 1 to 2 in one turn and returns what 2 received once the network is idle. */
async function run(seed: number, faults: Parameters<InProcessNetwork['setFaults']>[0], n = 200): Promise<number[]> {
  const { net, t } = await cluster(seed, [1, 2]);
  net.setFaults(faults);
  const got = record(t.get(2)!);
  t.get(1)!.send(Array.from({ length: n }, (_, i) => appMsg(1, 2, i + 1)));
  await net.idle();
  return indexes(got);
}

describe('InProcessNetwork faults (seeded, reproducible)', () => {
  test('delivery is asynchronous (a microtask), in order, without faults', async () => {
    const { net, t } = await cluster(1, [1, 2]);
    const got = record(t.get(2)!);
    t.get(1)!.send([appMsg(1, 2, 1), appMsg(1, 2, 2)]);
    expect(got).toEqual([]);
    await net.idle();
    expect(indexes(got)).toEqual([1, 2]);
  });

  test('a two-way partition cuts both directions until heal()', async () => {
    const { net, t } = await cluster(1, [1, 2, 3]);
    const [at1, at2, at3] = [record(t.get(1)!), record(t.get(2)!), record(t.get(3)!)];
    net.partition([1], [2]);
    t.get(1)!.send([appMsg(1, 2, 1), appMsg(1, 3, 1)]);
    t.get(2)!.send([appMsg(2, 1, 1)]);
    await net.idle();
    expect([at1.length, at2.length, at3.length]).toEqual([0, 0, 1]);
    expect(net.stats().blocked).toBe(2);
    net.heal();
    t.get(1)!.send([appMsg(1, 2, 2)]);
    await net.idle();
    expect(indexes(at2)).toEqual([2]);
  });

  test('a one-way partition cuts only from → to', async () => {
    const { net, t } = await cluster(1, [1, 2]);
    const [at1, at2] = [record(t.get(1)!), record(t.get(2)!)];
    net.partition([1], [2], { oneWay: true });
    t.get(1)!.send([appMsg(1, 2, 1)]);
    t.get(2)!.send([appMsg(2, 1, 1)]);
    await net.idle();
    expect([at1.length, at2.length]).toEqual([1, 0]);
  });

  test('isolate() cuts every link of a member', async () => {
    const { net, t } = await cluster(1, [1, 2, 3]);
    const [at2, at3] = [record(t.get(2)!), record(t.get(3)!)];
    net.isolate(1);
    t.get(1)!.send([appMsg(1, 2, 1), appMsg(1, 3, 1)]);
    t.get(2)!.send([appMsg(2, 3, 1)]);
    await net.idle();
    expect([at2.length, at3.length]).toEqual([0, 1]);
  });

  test('drop loses about the configured fraction, identically for the same seed', async () => {
    const first = await run(7, { drop: 0.3 });
    expect(first.length).toBeGreaterThan(100);
    expect(first.length).toBeLessThan(180);
    expect(first).toEqual([...first].sort((x, y) => x - y));
    expect(await run(7, { drop: 0.3 })).toEqual(first);
    expect(await run(8, { drop: 0.3 })).not.toEqual(first);
  });

  test('duplicate delivers some messages twice, reproducibly', async () => {
    const got = await run(3, { duplicate: 0.2 });
    expect(got.length).toBeGreaterThan(200);
    expect(new Set(got).size).toBe(200);
    expect(await run(3, { duplicate: 0.2 })).toEqual(got);
  });

  test('reorder swaps neighbours, loses nothing, reproducibly', async () => {
    const got = await run(5, { reorder: 0.2 });
    expect([...got].sort((x, y) => x - y)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(got).not.toEqual([...got].sort((x, y) => x - y));
    expect(await run(5, { reorder: 0.2 })).toEqual(got);
  });

  test('per-link faults override the network-wide ones', async () => {
    const { net, t } = await cluster(1, [1, 2, 3]);
    net.setFaults({ drop: 1 }, { from: 1, to: 2 });
    const [at2, at3] = [record(t.get(2)!), record(t.get(3)!)];
    t.get(1)!.send([appMsg(1, 2, 1), appMsg(1, 3, 1)]);
    await net.idle();
    expect([at2.length, at3.length]).toEqual([0, 1]);
    net.clearFaults();
    t.get(1)!.send([appMsg(1, 2, 2)]);
    await net.idle();
    expect(at2.length).toBe(1);
  });

  test('delay runs on the injected scheduler: nothing arrives until the clock advances', async () => {
    const clock = new ManualScheduler();
    const { net, t } = await cluster(1, [1, 2], clock);
    net.setFaults({ delayMs: [10, 50] });
    const got = record(t.get(2)!);
    t.get(1)!.send(Array.from({ length: 20 }, (_, i) => appMsg(1, 2, i + 1)));
    await Promise.resolve();
    expect(got).toEqual([]);
    clock.advance(9);
    expect(got).toEqual([]);
    clock.advance(41);
    await net.idle();
    expect(got.length).toBe(20);
    expect(indexes(got)).not.toEqual(Array.from({ length: 20 }, (_, i) => i + 1)); // random delays reorder
  });

  test('a fixed delay keeps per-link order', async () => {
    const clock = new ManualScheduler();
    const { net, t } = await cluster(1, [1, 2], clock);
    net.setFaults({ delayMs: 5 });
    const got = record(t.get(2)!);
    t.get(1)!.send([appMsg(1, 2, 1), appMsg(1, 2, 2), appMsg(1, 2, 3)]);
    clock.advance(5);
    expect(indexes(got)).toEqual([1, 2, 3]);
  });

  test('invalid fault settings are refused', async () => {
    const { net } = await cluster(1, [1]);
    expect(() => net.setFaults({ drop: 1.5 })).toThrow(/drop/);
    expect(() => net.setFaults({ delayMs: [5, 1] })).toThrow(/delayMs/);
  });

  test('injected malformed frames are refused and counted', async () => {
    const { net, t } = await cluster(1, [1, 2]);
    const b = t.get(2)!;
    const refused = next(b, 'error', (e) => e instanceof FrameRefusedError && e.reason === 'malformed');
    net.injectFrame(1, 2, encodeFrame(new Uint8Array([1, 1, 0xc1])));
    await refused;
    expect(b.stats().get(1)!.framesRefused).toBe(1);
  });

  test('a frame to a member with no open transport makes the sender report it unreachable', async () => {
    const { net, t } = await cluster(1, [1, 2]);
    await t.get(2)!.close();
    const un = next(t.get(1)!, 'unreachable', (p) => p === 2);
    t.get(1)!.send([appMsg(1, 2, 1)]);
    await un;
    await net.idle();
    expect(net.stats().undeliverable).toBe(1);
  });

  test('a second open transport for the same member is refused', async () => {
    const { net } = await cluster(1, [1]);
    expect(() => net.transport(1)).toThrow(/already/);
  });
});

test('an address that is not inproc://<id> is refused with a clear error', () => {
  const net = new InProcessNetwork({ seed: 1 });
  const t = net.transport(1);
  expect(() => t.addPeer(2, '2')).toThrow(/inproc:\/\/<id>/);
  expect(() => t.addPeer(2, '127.0.0.1:7002')).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }));
  expect(() => t.addPeer(2, 'inproc://2')).not.toThrow();
});
