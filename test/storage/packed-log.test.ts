/**
 * The packed in-memory log of the durable storages answers every read as the core's
 * MemoryStorage does, under random appends (with overlaps and truncations), compactions,
 * snapshots and reads, errors included; and it holds copies of the payloads it was given.
 */
import { expect, test } from 'vitest';
import { EntryType, type Entry } from '../../src/raft/entry.js';
import { MemoryStorage } from '../../src/raft/log-storage.js';
import { SeededRng } from '../../src/raft/rng.js';
import { PackedLog } from '../../src/storage/packed-log.js';

/** A seeded generator of integers below `n`, so a failure names its seed. */
function rng(seed: number): (n: number) => number {
  const g = new SeededRng(seed);
  return (n) => g.nextInt(n);
}

/** What a call did: its value, or the name of the error it threw. */
function outcome(f: () => unknown): unknown {
  try {
    const v = f();
    // Payload bytes as base64: equal exactly when the bytes are, and quick to compare.
    return { value: Array.isArray(v) ? v.map((e: Entry) => ({ ...e, data: Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength).toString('base64') })) : v };
  } catch (e) {
    return { error: (e as Error).constructor.name, message: (e as Error).message };
  }
}

function payload(r: (n: number) => number): Uint8Array {
  const sizes = [0, 1, 30, 300, 5000, 20_000];
  const n = sizes[r(sizes.length)]!;
  const b = r(2) === 0 ? new Uint8Array(n) : Buffer.alloc(n);
  const base = r(256); // a pattern of its own per payload: cheap, and still tells payloads apart
  for (let i = 0; i < n; i++) b[i] = (base + i * 31) & 255;
  return b;
}

test.each(Array.from({ length: 40 }, (_, i) => i + 1))('seed %i: every read matches MemoryStorage', (seed) => {
  const r = rng(seed);
  const mem = new MemoryStorage({ voters: [1, 2, 3] });
  const packed = new PackedLog({ voters: [1, 2, 3] });
  let term = 1;
  for (let step = 0; step < 400; step++) {
    const op = r(10);
    const last = mem.lastIndex();
    const first = mem.firstIndex();
    if (op < 5) {
      // Append a run: mostly after the last entry, so that the log also grows long (past a few
      // blocks of payloads); else starting anywhere from before the first index to just past the
      // last (a truncation, or a gap).
      if (r(4) === 0) term++;
      const at = r(4) !== 0 ? last + 1 : Math.max(1, first - 3 + r(last - first + 6));
      const ents: Entry[] = Array.from({ length: 1 + r(6) }, (_, k) => ({ term, index: at + k, type: r(5) === 0 ? EntryType.EntryConfChange : EntryType.EntryNormal, data: payload(r) }));
      // MemoryStorage keeps the caller's bytes; the packed log must copy them: the bytes it was given change after the call.
      const own = ents.map((e) => ({ ...e, data: Uint8Array.prototype.slice.call(e.data) }));
      expect(outcome(() => packed.append(ents)), `step ${step}`).toEqual(outcome(() => mem.append(own)));
      for (const e of ents) e.data.fill(7);
    } else if (op === 5) {
      const at = first - 2 + r(last - first + 4);
      expect(outcome(() => packed.compact(at)), `step ${step}`).toEqual(outcome(() => mem.compact(at)));
    } else if (op === 6) {
      const at = first - 2 + r(last - first + 4);
      const data = new Uint8Array([r(256)]);
      expect(outcome(() => packed.createSnapshot(at, undefined, data)), `step ${step}`).toEqual(outcome(() => mem.createSnapshot(at, undefined, data)));
    } else if (op === 7 && r(4) === 0) {
      const at = last - 2 + r(8);
      const snap = { data: new Uint8Array(0), metadata: { index: at, term: term + 1, confState: { voters: [1, 2], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false } } };
      expect(outcome(() => packed.applySnapshot(snap)), `step ${step}`).toEqual(outcome(() => mem.applySnapshot(snap)));
      term++;
    } else {
      const hs = { term, vote: r(4), commit: r(Math.max(1, last)) };
      packed.setHardState(hs);
      mem.setHardState(hs);
    }
    // Every read, over and around the held range.
    expect([packed.firstIndex(), packed.lastIndex()]).toEqual([mem.firstIndex(), mem.lastIndex()]);
    expect(packed.initialState()).toEqual(mem.initialState());
    expect(packed.snapshot().metadata).toEqual(mem.snapshot().metadata);
    const lo = mem.firstIndex() - 2 + r(mem.lastIndex() - mem.firstIndex() + 4);
    const hi = lo + r(10);
    const maxSize = [0, 100, 1000, 30_000, Infinity][r(5)]!;
    expect(outcome(() => packed.entries(lo, hi, maxSize)), `step ${step}: entries(${lo}, ${hi}, ${maxSize})`).toEqual(outcome(() => mem.entries(lo, hi, maxSize)));
    const indexes = Array.from({ length: mem.lastIndex() - mem.firstIndex() + 4 }, (_, k) => mem.firstIndex() - 2 + k);
    expect(indexes.map((i) => outcome(() => packed.term(i))), `step ${step}: terms`).toEqual(indexes.map((i) => outcome(() => mem.term(i))));
  }
});

test('holds copies: a payload from a Node Buffer (whose slice is a view) and a large one are copied', () => {
  const packed = new PackedLog();
  const pool = Buffer.alloc(20_000, 1);
  const small = pool.subarray(0, 10);
  const large = pool.subarray(0, 12_000);
  packed.append([{ term: 1, index: 1, type: EntryType.EntryNormal, data: small }, { term: 1, index: 2, type: EntryType.EntryNormal, data: large }]);
  pool.fill(9);
  const [a, b] = packed.entries(1, 3, Infinity);
  expect(Array.from(a!.data)).toEqual(new Array(10).fill(1));
  expect(b!.data.length).toBe(12_000);
  expect(b!.data.every((x) => x === 1)).toBe(true);
  expect(b!.data.buffer).not.toBe(pool.buffer);
});
