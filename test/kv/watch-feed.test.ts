import { expect, test } from 'vitest';
import { WatchHub } from '../../src/kv/watch/watch-hub.js';
import type { WatchBatch, WatchSource } from '../../src/kv/watch/types.js';
import type { Watcher } from '../../src/kv/watch/watcher.js';
import { EventType, type Event, type KeyValue } from '../../src/kv/types.js';
import { SeededRng } from '../../src/raft/rng.js';

// The live feed of a WatchHub, over a source whose revisions the test applies by hand: which
// events reach which watcher, the objects they get, and the called-back way of consuming them.

const enc = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const kvOf = (key: Uint8Array, rev: number, value = 'v'): KeyValue => ({ key, createRevision: rev, modRevision: rev, version: 1, value: enc(value), lease: 0n });

/** A member's KV reduced to what the hub reads: revisions applied by `apply`, `readAt` answered by `prev`. */
class FakeSource implements WatchSource {
  rev = 1;
  readonly #observers = new Set<(r: { revision: number; events: Event[] }) => void>();
  /** Resolves the pending `readAt` calls, in call order. */
  readonly pendingReads: (() => void)[] = [];
  revision(): number {
    return this.rev;
  }
  compactRevision(): number {
    return -1;
  }
  onRevision(fn: (r: { revision: number; events: Event[] }) => void): () => void {
    this.#observers.add(fn);
    return () => this.#observers.delete(fn);
  }
  onRestore(): () => void {
    return () => undefined;
  }
  readEvents(): Promise<Event[]> {
    return Promise.resolve([]);
  }
  readAt(key: Uint8Array, rev: number): Promise<KeyValue | undefined> {
    return new Promise((resolve) => this.pendingReads.push(() => resolve(kvOf(key, rev, `prev@${String(rev)}`))));
  }
  header(revision: number): { clusterId: bigint; memberId: bigint; revision: number; raftTerm: number } {
    return { clusterId: 1n, memberId: 2n, revision, raftTerm: 3 };
  }
  /** Applies one revision of PUTs on `keys`. */
  apply(...keys: Uint8Array[]): Event[] {
    this.rev++;
    const events = keys.map((k): Event => ({ type: EventType.PUT, kv: kvOf(k, this.rev) }));
    for (const fn of this.#observers) fn({ revision: this.rev, events });
    return events;
  }
}

/** Lets every pending microtask run (the prevKv reads' continuations). */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Takes every ready batch. */
function takeAll(w: Watcher): WatchBatch[] {
  const out: WatchBatch[] = [];
  for (let b = w.take(); b !== undefined; b = w.take()) out.push(b);
  return out;
}

test('a watched range matches keys bytewise: one key, a range, a prefix, every key from a start (against a string model)', () => {
  const rng = new SeededRng(7);
  const alphabet = [0x00, 0x01, 0x2f, 0x61, 0x62, 0x7f, 0x80, 0xfe, 0xff];
  const randomKey = (): Uint8Array => Uint8Array.from({ length: rng.nextInt(3) + 1 }, () => alphabet[rng.nextInt(alphabet.length)]!);
  const str = (b: Uint8Array): string => String.fromCharCode(...b);
  for (let round = 0; round < 40; round++) {
    const src = new FakeSource();
    const hub = new WatchHub(src);
    const a = randomKey();
    const b = randomKey();
    const ranges: [Uint8Array, Uint8Array][] = [[a, new Uint8Array(0)], [a, b], [a, new Uint8Array([0])], [new Uint8Array([0]), new Uint8Array([0])]];
    const watchers = ranges.map(([k, end]) => hub.watch(k, end, {}));
    const keys = Array.from({ length: 30 }, randomKey);
    for (const k of [...keys, a, b]) src.apply(k);
    ranges.forEach(([k, end], i) => {
      const s = str(k);
      const e = str(end);
      const model = (key: string): boolean => (end.length === 0 ? key === s : key >= s && ((end.length === 1 && end[0] === 0) || key < e));
      const want = [...keys, a, b].map(str).filter(model);
      expect(takeAll(watchers[i]!).flatMap((x) => x.events.map((ev) => str(ev.kv.key)))).toEqual(want);
    });
    hub.close();
  }
});

test('watchers of the same revision share its events, except one with prevKv, whose filled copies no other watcher sees', async () => {
  const src = new FakeSource();
  const hub = new WatchHub(src);
  const plain = hub.watch(enc('k'), new Uint8Array(0), {});
  const other = hub.watch(enc('k'), new Uint8Array(0), {});
  const withPrev = hub.watch(enc('k'), new Uint8Array(0), { prevKv: true });
  const applied = src.apply(enc('k'));
  for (const read of src.pendingReads.splice(0)) read();
  await settle();
  const [p] = takeAll(plain);
  const [o] = takeAll(other);
  const [w] = takeAll(withPrev);
  expect(p!.events[0]).toBe(applied[0]);
  expect(o!.events[0]).toBe(applied[0]);
  expect(p!.events).toBe(o!.events); // read-only (below), so one array for every watcher, no copy each
  expect(w!.events[0]).not.toBe(applied[0]);
  expect(w!.events[0]!.prevKv?.value).toEqual(enc('prev@1'));
  expect(p!.events[0]!.prevKv).toBeUndefined();
  expect(applied[0]!.prevKv).toBeUndefined();
  hub.close();
});

test('the events a watcher gets are read-only: no watcher can change the array or the events another one gets', () => {
  const src = new FakeSource();
  const hub = new WatchHub(src);
  const a = hub.watch(enc('k'), new Uint8Array(0), {});
  const b = hub.watch(enc('k'), new Uint8Array(0), { fragment: true });
  const applied = src.apply(enc('k'));
  const [x] = takeAll(a);
  const [y] = takeAll(b);
  expect(x!.events[0]).toBe(applied[0]);
  expect(y!.events[0]).toBe(applied[0]);
  // Never called: each line is a type error (the test file does not compile if one is allowed).
  const mutations = (batch: WatchBatch): void => {
    // @ts-expect-error -- the array is shared between watchers
    batch.events.push(applied[0]!);
    // @ts-expect-error -- and so are the events
    batch.events[0]!.prevKv = applied[0]!.kv;
    // @ts-expect-error -- and their key-values
    batch.events[0]!.kv.modRevision = 0;
  };
  expect(mutations).toBeTypeOf('function');
  hub.close();
});

test('take and listen: the listener hears each batch queued, a batch waiting for its prevKv holds back the later ones, and the end is heard', async () => {
  const src = new FakeSource();
  const hub = new WatchHub(src);
  const w = hub.watch(enc('k'), enc('l'), { prevKv: true });
  let heard = 0;
  w.listen(() => heard++);
  src.apply(enc('k1'));
  src.apply(enc('k2'));
  expect(heard).toBe(2);
  expect(w.take()).toBeUndefined(); // both wait for their previous values
  const [first, second] = src.pendingReads.splice(0);
  second!(); // the later one is read first: still nothing to take, the first holds it back
  await settle();
  expect(w.take()).toBeUndefined();
  first!();
  await settle();
  expect(takeAll(w).map((b) => b.header.revision)).toEqual([2, 3]);
  expect(w.backlog).toBe(0);
  const before = heard;
  w.cancel();
  expect(heard).toBeGreaterThan(before);
  expect(takeAll(w).map((b) => b.canceled)).toEqual([true]);
  expect(w.finished).toBe(true);
});
