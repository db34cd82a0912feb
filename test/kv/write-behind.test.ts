/**
 * The KV backend's write-behind queue: `apply` returns before its batch is written, reads see
 * queued records, the batches queued during a write go together in the next synced write,
 * no two database writes are ever in flight, a failed write stops the replica, and closing
 * drains the queue. `GatedLevel` holds every write at a gate the test opens.
 */
import { MemoryLevel } from 'memory-level';
import { afterEach, describe, expect, test } from 'vitest';
import { collectGarbage } from '../helpers/gc.js';
import { Replica } from '../../src/replica/replica.js';
import { ApplyFailedError } from '../../src/replica/errors.js';
import { LevelStorage } from '../../src/storage/level-storage.js';
import { InProcessNetwork } from '../../src/transport/in-process.js';
import { encodeCommand } from '../../src/kv/commands.js';
import type { KvCommand } from '../../src/kv/commands.js';
import { KvClient } from '../../src/kv/kv-client.js';
import { KvStateMachine } from '../../src/kv/kv-state-machine.js';
import { keyRange } from '../../src/kv/mvcc/bytes.js';
import { KvBackendWriteError, WriteQueue, type WriteQueueOptions } from '../../src/kv/write-queue.js';
import { dec, enc } from './helpers.js';

type BatchOp = { type: 'put' | 'del'; key: Uint8Array; value?: Uint8Array };
const base = MemoryLevel.prototype as unknown as { _batch(ops: BatchOp[], options: object): Promise<void> };

/** A memory-level database whose writes wait at a gate; it records each write and how many were in flight at once. */
class GatedLevel extends MemoryLevel<Uint8Array, Uint8Array> {
  readonly writes: { ops: number; sync: boolean }[] = [];
  inFlight = 0;
  maxInFlight = 0;
  fail: Error | undefined;
  #gate: Promise<void> | undefined;
  #open: (() => void) | undefined;

  constructor() {
    super({ keyEncoding: 'view', valueEncoding: 'view' });
  }

  close_(): void {
    this.#gate = new Promise((resolve) => (this.#open = resolve));
  }

  open_(): void {
    this.#open?.();
    this.#gate = undefined;
  }

  async _batch(ops: BatchOp[], options: { sync?: boolean }): Promise<void> {
    this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
    try {
      await this.#gate;
      if (this.fail !== undefined) throw this.fail;
      await base._batch.call(this, ops, options);
      this.writes.push({ ops: ops.length, sync: options.sync === true });
    } finally {
      this.inFlight--;
    }
  }
}

const put = (index: number, key: string, value: string): { index: number; term: number; data: Uint8Array } => cmd(index, { op: 'put', req: { key: enc(key), value: enc(value) } });
const cmd = (index: number, c: KvCommand): { index: number; term: number; data: Uint8Array } => ({ index, term: 1, data: encodeCommand(c) });
const everything = keyRange(new Uint8Array([0]), new Uint8Array([0]));

async function values(sm: KvStateMachine): Promise<string[]> {
  const r = await sm.store.rangeKeys(everything, sm.store.rev, { limit: 0, rev: 0, count: false });
  return r.kvs.map((kv) => `${dec(kv.key)}=${dec(kv.value)}`);
}

/** A WriteQueue that records each write and holds it until `release()`. */
function heldQueue<T>(options?: WriteQueueOptions): { q: WriteQueue<T>; writes: T[][]; release: () => void } {
  let held = (): void => undefined;
  const writes: T[][] = [];
  const q = new WriteQueue<T>(async (ops) => {
    writes.push(ops);
    await new Promise<void>((r) => (held = r));
  }, () => undefined, options);
  return { q, writes, release: () => held() };
}

describe('KV write-behind queue', () => {
  test('apply returns before its batch is written; ranges, watch catch-up and observers see the queued revisions', async () => {
    const db = new GatedLevel();
    const sm = new KvStateMachine({ db });
    await sm.ready();
    const seen: number[] = [];
    sm.onRevision((r) => seen.push(r.revision));
    db.close_();
    await sm.apply([put(1, 'a', '1')]);
    await sm.apply([put(2, 'b', '2'), put(3, 'a', '3')]);
    expect(db.writes).toEqual([]); // nothing written yet
    expect(sm.queueDepth).toBe(2);
    expect(seen).toEqual([2, 3, 4]);
    expect(await values(sm)).toEqual(['a=3', 'b=2']);
    const back = await sm.store.rangeKeys(everything, sm.store.rev, { limit: 0, rev: 2, count: false });
    expect(back.kvs.map((kv) => dec(kv.value))).toEqual(['1']);
    const events = await sm.readEvents(enc('a'), undefined, 2, 4);
    expect(events.map((e) => `${dec(e.kv.key)}=${dec(e.kv.value)}@${e.kv.modRevision}`)).toEqual(['a=1@2', 'a=3@4']);
    expect(sm.dbSizeInUse).toBe(6);
    db.open_();
    await sm.flush();
    expect(sm.queueDepth).toBe(0);
    // Once written, the same reads come from the database.
    expect((await sm.readEvents(enc('a'), enc('c'), 2, 4)).map((e) => e.kv.modRevision)).toEqual([2, 3, 4]);
    const reopened = new KvStateMachine({ db });
    expect(await reopened.appliedIndex()).toBe(3);
    expect(await values(reopened)).toEqual(['a=3', 'b=2']);
  });

  test('a watch catch-up read spanning written and queued revisions sees each once, in order', async () => {
    const db = new GatedLevel();
    const sm = new KvStateMachine({ db });
    for (let i = 1; i <= 5; i++) await sm.apply([put(i, 'k', `w${i}`)]);
    await sm.flush();
    db.close_();
    for (let i = 6; i <= 9; i++) await sm.apply([put(i, 'k', `q${i}`)]);
    const events = await sm.readEvents(enc('k'), undefined, 3, 10);
    expect(events.map((e) => dec(e.kv.value))).toEqual(['w2', 'w3', 'w4', 'w5', 'q6', 'q7', 'q8', 'q9']);
    db.open_();
    await sm.flush();
  });

  test('the batches applied while a write is in flight go together in the next synced write (group commit)', async () => {
    const db = new GatedLevel();
    const sm = new KvStateMachine({ db });
    await sm.ready();
    db.close_();
    await sm.apply([put(1, 'a', '1')]); // its write starts and waits at the gate
    for (let i = 2; i <= 6; i++) await sm.apply([put(i, `k${i}`, `v${i}`)]);
    db.open_();
    await sm.flush();
    // Two writes: the first batch alone, then the five queued behind it (a put each, and the applied
    // index once: each batch's own applied-index put is overwritten by the next one's in the same write).
    expect(db.writes).toEqual([
      { ops: 2, sync: true },
      { ops: 6, sync: true },
    ]);
    expect(db.maxInFlight).toBe(1);
    expect((await sm.commitDuration.get()).values.find((v) => v.metricName?.endsWith('_count'))?.value).toBe(2);
    expect(await new KvStateMachine({ db }).appliedIndex()).toBe(6);
  });

  test('with backendBatchIntervalMs a write waits to gather the batches applied meanwhile (one flush for all); a bad interval is refused', async () => {
    const db = new GatedLevel();
    const sm = new KvStateMachine({ db, backendBatchIntervalMs: 30 });
    await sm.ready();
    for (let i = 1; i <= 4; i++) await sm.apply([put(i, `k${i}`, `v${i}`)]);
    expect(db.writes).toEqual([]); // nothing written yet: the interval has not passed
    expect(await values(sm)).toEqual(['k1=v1', 'k2=v2', 'k3=v3', 'k4=v4']); // reads see the queued records
    await sm.flush();
    expect(db.writes).toEqual([{ ops: 5, sync: true }]); // four puts, the applied index once
    expect(await new KvStateMachine({ db }).appliedIndex()).toBe(4);
    expect(() => new KvStateMachine({ backendBatchIntervalMs: -1 })).toThrow(/backendBatchIntervalMs/);
  });

  test('no two writes are ever in flight, physical compaction included', async () => {
    const db = new GatedLevel();
    const sm = new KvStateMachine({ db });
    let index = 0;
    const physical: Promise<void>[] = [];
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 20; i++) await sm.apply([put(++index, `k${i % 3}`, `v${index}`)]);
      const [r] = await sm.apply([cmd(++index, { op: 'compact', req: { revision: sm.store.rev - 2, physical: true } })]);
      if (r?.ok === true && r.physical !== undefined) physical.push(r.physical);
    }
    await Promise.all(physical);
    await sm.flush();
    expect(physical).toHaveLength(4);
    expect(db.maxInFlight).toBe(1);
    expect(db.writes.every((w) => w.sync)).toBe(true);
    expect(await values(sm)).toEqual(['k0=v82', 'k1=v83', 'k2=v81']);
    const reopened = new KvStateMachine({ db });
    await reopened.ready();
    expect(await values(reopened)).toEqual(['k0=v82', 'k1=v83', 'k2=v81']);
  });

  test('with a limit a write starts once the queued operations reach it, without waiting out the interval, and carries batches only up to it', async () => {
    const { q, writes, release } = heldQueue<number>({ intervalMs: 3_600_000, limit: 3 });
    const settle = async (): Promise<void> => {
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    };
    q.enqueue([1], []);
    q.enqueue([2], []);
    await settle();
    expect(writes).toEqual([]); // two operations queued, limit 3: the write waits for the (hour-long) interval
    q.enqueue([3, 4], []); // four queued: the write starts now
    await settle();
    expect(writes).toEqual([[1, 2, 3, 4]]);
    for (let i = 5; i <= 11; i++) q.enqueue([i], []); // queued behind the write in flight
    release();
    await settle();
    expect(writes).toEqual([[1, 2, 3, 4], [5, 6, 7]]); // the next write takes three operations; four left, so it goes on
    release();
    await settle();
    expect(writes.at(-1)).toEqual([8, 9, 10]);
    release();
    await settle();
    expect(writes).toHaveLength(3); // one operation left, under the limit: it waits for the interval
    const flushed = q.flush(); // which a flush ends at once
    await settle();
    expect(writes.at(-1)).toEqual([11]);
    release();
    await flushed;
    expect(q.depth).toBe(0);
  });

  test('flush and a waiting room end the interval at once: nothing that needs the disk waits for it', async () => {
    const writes: number[][] = [];
    const q = new WriteQueue<number>((ops) => {
      writes.push(ops);
      return Promise.resolve();
    }, () => undefined, { intervalMs: 3_600_000 });
    const rec = (i: number): readonly [Uint8Array, Uint8Array] => [new Uint8Array([i]), new Uint8Array([i])];
    q.enqueue([1], [rec(1)]);
    await q.flush(); // an hour-long interval: this would time out if flush waited for it
    expect(writes).toEqual([[1]]);
    q.enqueue([2], [rec(2)]);
    q.enqueue([3], [rec(3)]);
    await q.room(1); // two records queued, one allowed: room ends the wait, and resolves once they are written
    expect(writes).toEqual([[1], [2, 3]]);
    expect(q.depth).toBe(0);
  });

  test('a KvStateMachine with backendBatchLimit writes an apply batch once the queued operations reach the limit; a bad limit is refused', async () => {
    const db = new GatedLevel();
    const sm = new KvStateMachine({ db, backendBatchIntervalMs: 3_600_000, backendBatchLimit: 3 });
    await sm.ready();
    for (let i = 1; i <= 3; i++) await sm.apply([put(i, `k${i}`, `v${i}`)]);
    while (db.writes.length === 0) await new Promise((r) => setImmediate(r));
    expect(db.writes).toEqual([{ ops: 4, sync: true }]); // three puts and the applied index, without the hour's wait
    await sm.apply([put(4, 'k4', 'v4')]);
    await sm.flush();
    expect(db.writes).toEqual([{ ops: 4, sync: true }, { ops: 2, sync: true }]);
    for (const bad of [0, -1, Number.NaN]) expect(() => new KvStateMachine({ backendBatchLimit: bad })).toThrow(/backendBatchLimit/);
  });

  test('applies wait for the write in flight once too many records are queued (room)', async () => {
    const { q, writes, release } = heldQueue<number>();
    const rec = (i: number): readonly [Uint8Array, Uint8Array] => [new Uint8Array([i]), new Uint8Array([i])];
    q.enqueue([1], [rec(1)]); // in flight
    q.enqueue([2], [rec(2)]);
    q.enqueue([3], [rec(3)]);
    let roomy = false;
    const room = q.room(2).then(() => (roomy = true));
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(roomy).toBe(false); // 3 records queued or in flight, limit 2
    await q.room(3); // within the limit: at once
    release(); // write [1] done: 2 records left
    await room;
    while (writes.length < 2) await new Promise((r) => setImmediate(r));
    expect(writes).toEqual([[1], [2, 3]]);
    release();
    await q.flush();
    expect(q.depth).toBe(0);
  });

  test("a write carrying several batches writes only the last batch's seal, after every batch's operations", async () => {
    const { q, writes, release } = heldQueue<string>();
    q.enqueue(['a1'], [], 'applied=1'); // in flight alone
    q.enqueue(['b1', 'b2'], [], 'applied=2');
    q.enqueue(['c1'], [], 'applied=3');
    q.enqueue(['d1'], []); // no seal of its own: the last one before it is written
    for (const n of [1, 2]) {
      while (writes.length < n) await new Promise((r) => setImmediate(r));
      release();
    }
    await q.flush();
    expect(writes).toEqual([['a1', 'applied=1'], ['b1', 'b2', 'c1', 'd1', 'applied=3']]);
  });

  test('queued records are found by key until written, and ranges of them cut at the bounds', async () => {
    let release = (): void => undefined;
    let started = 0;
    const q = new WriteQueue<number>(() => new Promise<void>((r) => {
      started++;
      release = r;
    }), () => undefined);
    const write = async (n: number): Promise<void> => {
      while (started < n) await new Promise((r) => setImmediate(r));
      release();
    };
    const rec = (i: number): readonly [Uint8Array, Uint8Array] => [new Uint8Array([1, i]), new Uint8Array([i])];
    const keys = (rs: readonly (readonly [Uint8Array, Uint8Array])[]): number[] => rs.map(([k]) => k[1]!);
    q.enqueue([1], [rec(2), rec(4)]); // in flight
    q.enqueue([2], [rec(6), rec(8)]);
    expect(q.get(new Uint8Array([1, 4]))).toEqual(new Uint8Array([4]));
    expect(q.get(new Uint8Array([1, 5]))).toBeUndefined();
    expect(q.get(new Uint8Array([1]))).toBeUndefined();
    expect(keys(q.between(new Uint8Array([1, 3]), new Uint8Array([1, 8])).records)).toEqual([4, 6]);
    expect(keys(q.between(new Uint8Array([1, 9]), new Uint8Array([1, 3])).records)).toEqual([]);
    expect(q.between(new Uint8Array([0]), new Uint8Array([2])).below).toEqual(new Uint8Array([1, 2]));
    await write(1); // the first batch is written: its records are read from the database from now on
    while (q.get(new Uint8Array([1, 2])) !== undefined) await new Promise((r) => setImmediate(r));
    expect(q.get(new Uint8Array([1, 6]))).toEqual(new Uint8Array([6]));
    const after = q.between(new Uint8Array([0]), new Uint8Array([2]));
    expect([keys(after.records), after.below]).toEqual([[6, 8], new Uint8Array([1, 6])]);
    await write(2);
    await q.flush();
    expect(q.between(new Uint8Array([0]), new Uint8Array([2]))).toEqual({ below: undefined, records: [] });
  });

  test('a written record is released as its write ends, not kept until the queue drops written slots in bulk', async () => {
    const { q, writes, release } = heldQueue<number>();
    const values: WeakRef<Uint8Array>[] = [];
    (() => {
      const records = [1, 2, 3].map((i) => [new Uint8Array([1, i]), new Uint8Array(100).fill(i)] as const);
      for (const r of records) values.push(new WeakRef(r[1]));
      q.enqueue([1], records);
    })();
    while (writes.length === 0) await new Promise((r) => setImmediate(r));
    release();
    await q.flush();
    collectGarbage();
    // Kept in the queue, they would live on for a thousand writes or more: long enough for the
    // garbage collector to copy them out of the young generation and promote them.
    expect(values.map((v) => v.deref())).toEqual([undefined, undefined, undefined]);
  });

  test('a failed write is not swallowed: flush and every later apply reject, nothing more is applied', async () => {
    const db = new GatedLevel();
    const sm = new KvStateMachine({ db });
    await sm.apply([put(1, 'a', '1')]);
    await sm.flush();
    db.fail = new Error('disk full');
    await sm.apply([put(2, 'a', '2')]); // queued; its write fails
    await expect(sm.flush()).rejects.toBeInstanceOf(KvBackendWriteError);
    const rev = sm.store.rev;
    const err = await sm.apply([put(3, 'a', '3')]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KvBackendWriteError);
    expect((err as KvBackendWriteError).code).toBe('ERR_KV_BACKEND_WRITE');
    expect((err as Error).cause).toBe(db.fail);
    expect(sm.store.rev).toBe(rev);
    await expect(sm.close()).rejects.toBeInstanceOf(KvBackendWriteError);
    // Restarted, the state machine reloads the durable prefix (the log applies the rest again).
    db.fail = undefined;
    expect(await sm.appliedIndex()).toBe(1);
    expect(await values(sm)).toEqual(['a=1']);
  });
});

describe('KV write-behind under a Replica', () => {
  const stops: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const s of stops.splice(0)) await s();
  });

  async function start(raftDb: MemoryLevel<Uint8Array, Uint8Array>, kvDb: GatedLevel): Promise<{ replica: Replica; kv: KvClient }> {
    const net = new InProcessNetwork();
    const replica = await Replica.start<unknown>({ id: 1, peers: [{ id: 1, address: 'inproc://1' }], storage: new LevelStorage({ db: raftDb }), transport: net.transport(1), stateMachine: new KvStateMachine({ db: kvDb }), tickMs: 5 });
    stops.push(async () => {
      await replica.stop();
      net.close();
    });
    await replica.read({ timeoutMs: 5000 });
    return { replica, kv: new KvClient(replica) };
  }

  test('a failed KV write stops the replica at the next apply; restarted, it applies the lost batches again from its log', async () => {
    const raftDb = new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' });
    const kvDb = new GatedLevel();
    const { replica, kv } = await start(raftDb, kvDb);
    await kv.put('a', '1');
    kvDb.fail = new Error('I/O error');
    await kv.put('b', '2'); // applied in memory and acknowledged; its write fails
    const errors: Error[] = [];
    replica.on('error', (e) => errors.push(e));
    const refused = await kv.put('c', '3').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ApplyFailedError);
    expect((refused as Error).cause).toBeInstanceOf(KvBackendWriteError);
    await stops.pop()!();
    expect(replica.lifecycle).toBe('closed');
    expect(errors.some((e) => e instanceof ApplyFailedError)).toBe(true);
    kvDb.fail = undefined;
    const again = await start(raftDb, kvDb);
    const got = await again.kv.range('a', { rangeEnd: 'z' });
    expect(got.kvs.map((x) => `${dec(x.key)}=${dec(x.value)}@${x.modRevision}`)).toEqual(['a=1@2', 'b=2@3', 'c=3@4']);
  });

  test('stop waits for the queued writes (StateMachine.close) before closing the storage', async () => {
    const raftDb = new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' });
    const kvDb = new GatedLevel();
    const { replica, kv } = await start(raftDb, kvDb);
    kvDb.close_();
    await kv.put('a', '1'); // acknowledged while its write waits at the gate
    let stopped = false;
    const stopping = stops.pop()!().then(() => (stopped = true));
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    expect(stopped).toBe(false);
    expect(replica.lifecycle).toBe('closing');
    kvDb.open_();
    await stopping;
    const reopened = new KvStateMachine({ db: kvDb });
    const idx = await reopened.appliedIndex();
    expect(idx).toBeGreaterThan(0);
    expect(await values(reopened)).toEqual(['a=1']);
  });
});
