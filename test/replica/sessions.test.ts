import { describe, expect, test } from 'vitest';
import { DEFAULT_SESSION_LIMITS, SessionTable } from '../../src/replica/sessions.js';
import { decodeSnapshotPayload, encodeSnapshotPayload } from '../../src/replica/snapshot-payload.js';
import { encodeAddress } from '../../src/replica/envelope.js';

const id = (proposer: number, incarnation: number, seq: number): { proposer: number; incarnation: number; seq: number } => ({ proposer, incarnation, seq });

/** Feeds `seqs` of one session and returns which were kept. */
function feed(t: SessionTable, seqs: number[], proposer = 1, incarnation = 7): boolean[] {
  return seqs.map((seq) => t.maybeApply(id(proposer, incarnation, seq)));
}

describe('the window', () => {
  test('the first copy of a seq is kept, every later copy dropped', () => {
    const t = new SessionTable();
    expect(feed(t, [1, 2, 1, 3, 2, 3, 4])).toEqual([true, true, false, true, false, false, true]);
  });

  test('seqs may arrive out of order inside the window', () => {
    const t = new SessionTable({ window: 32 });
    expect(feed(t, [5, 1, 3, 2, 4, 3, 1])).toEqual([true, true, true, true, true, false, false]);
  });

  test.each([
    { name: 'the oldest seq inside the window is kept once', high: 100, seq: 100 - 32 + 1, want: [true, false] },
    { name: 'a seq at high − window is below the window: dropped', high: 100, seq: 100 - 32, want: [false, false] },
    { name: 'a seq far below the window is dropped', high: 100, seq: 3, want: [false, false] },
    { name: 'a seq just above high is kept once', high: 100, seq: 101, want: [true, false] },
  ])('$name', ({ high, seq, want }) => {
    const t = new SessionTable({ window: 32 });
    expect(feed(t, [high])).toEqual([true]);
    expect(feed(t, [seq, seq])).toEqual(want);
  });

  test('bits that slide out of the window are cleared for the seqs that reuse them', () => {
    const t = new SessionTable({ window: 32 });
    expect(feed(t, [1, 2, 3])).toEqual([true, true, true]);
    // 33 and 34 share bits with 1 and 2; 35 (bit of 3) is skipped and must still be new later.
    expect(feed(t, [33, 34, 36])).toEqual([true, true, true]);
    expect(feed(t, [35, 35, 34, 2, 3])).toEqual([true, false, false, false, false]);
  });

  test('a jump of a whole window or more clears every bit', () => {
    const t = new SessionTable({ window: 32 });
    feed(t, [1, 2, 3, 4]);
    expect(feed(t, [1000, 999, 968, 969])).toEqual([true, true, false, true]);
  });

  test('sessions of different proposers and incarnations are independent', () => {
    const t = new SessionTable();
    expect(feed(t, [1], 1, 7)).toEqual([true]);
    expect(feed(t, [1], 2, 7)).toEqual([true]);
    expect(feed(t, [1], 1, 8)).toEqual([true]);
    expect(t.size).toBe(3);
  });

  test('the window must be a positive multiple of 32', () => {
    expect(() => new SessionTable({ window: 100 })).toThrow(RangeError);
    expect(() => new SessionTable({ window: 0 })).toThrow(RangeError);
  });
});

describe('eviction and removal', () => {
  test('a proposer keeps its newest incarnations by first appearance; the evicted one is retired', () => {
    const t = new SessionTable({ incarnations: 2 });
    expect(feed(t, [1], 1, 10)).toEqual([true]);
    expect(feed(t, [1], 1, 20)).toEqual([true]);
    expect(feed(t, [2], 1, 10)).toEqual([true]); // use does not reorder: first appearance does
    expect(feed(t, [1], 1, 30)).toEqual([true]); // evicts 10, the first to appear
    expect(t.size).toBe(2);
    expect(t.retiredCount).toBe(1);
    // A late command of the evicted incarnation is dropped, even a seq it never applied.
    expect(feed(t, [1, 3], 1, 10)).toEqual([false, false]);
    expect(feed(t, [2], 1, 20)).toEqual([true]);
    expect(feed(t, [1], 1, 30)).toEqual([false]);
  });

  test('removing a proposer retires its sessions; other proposers keep theirs', () => {
    const t = new SessionTable();
    feed(t, [1], 1, 10);
    feed(t, [1], 1, 11);
    feed(t, [1], 2, 10);
    t.removeProposer(1);
    t.removeProposer(9); // unknown: nothing happens
    expect(t.size).toBe(1);
    expect(t.retiredCount).toBe(2);
    expect(feed(t, [2], 1, 10)).toEqual([false]);
    expect(feed(t, [1], 1, 12)).toEqual([true]); // a new incarnation (the id was added again)
    expect(feed(t, [1], 2, 10)).toEqual([false]);
  });

  test('retired ids are a bounded FIFO: beyond it an old incarnation counts as new', () => {
    const t = new SessionTable({ incarnations: 1, retired: 2 });
    for (const inc of [1, 2, 3, 4]) feed(t, [1], 5, inc); // retires 1, 2, 3; remembers 2 and 3
    expect(t.retiredCount).toBe(2);
    expect(feed(t, [1], 5, 3)).toEqual([false]);
    expect(feed(t, [1], 5, 1)).toEqual([true]); // forgotten: documented limit
  });

  test('the defaults', () => {
    expect(DEFAULT_SESSION_LIMITS).toEqual({ window: 4096, incarnations: 4, retired: 256 });
  });
});

describe('encoding', () => {
  function busy(): SessionTable {
    const t = new SessionTable({ incarnations: 2, window: 64 });
    feed(t, [1, 2, 5, 70, 40], 1, 10);
    feed(t, [3], 1, 11);
    feed(t, [1], 1, 12); // evicts 10
    feed(t, [9, 8], 2, 1);
    return t;
  }

  test('a round trip keeps every decision', () => {
    const a = busy();
    const b = SessionTable.decode(a.encode(), { incarnations: 2 });
    expect(b.size).toBe(a.size);
    expect(b.retiredCount).toBe(a.retiredCount);
    expect(b.encode()).toEqual(a.encode());
    const probes = [id(1, 10, 100), id(1, 11, 3), id(1, 11, 4), id(1, 12, 1), id(2, 1, 8), id(2, 1, 7), id(2, 1, -60), id(1, 13, 1), id(1, 11, 4)];
    expect(probes.map((p) => b.maybeApply(p))).toEqual(probes.map((p) => a.maybeApply(p)));
  });

  test('the window travels with the table', () => {
    const b = SessionTable.decode(busy().encode());
    // Session (2, 1) has high 9: with a window of 64 both 6 and 7 are new, and 1000 − 64 is below it.
    expect(feed(b, [6, 7], 2, 1)).toEqual([true, true]);
    expect(feed(b, [7, 1000, 1000 - 64, 1000 - 63], 2, 1)).toEqual([false, true, false, true]);
  });

  test('reset copies a table without sharing state', () => {
    const src = busy();
    const t = new SessionTable();
    feed(t, [1], 9, 9);
    t.reset(src);
    expect(t.encode()).toEqual(src.encode());
    expect(feed(t, [100], 2, 1)).toEqual([true]);
    expect(feed(src, [100], 2, 1)).toEqual([true]);
  });

  test('empty bytes are an empty table; malformed bytes throw', () => {
    expect(SessionTable.decode(new Uint8Array(0)).size).toBe(0);
    const good = busy().encode();
    expect(() => SessionTable.decode(good.subarray(0, good.length - 3))).toThrow(RangeError);
    expect(() => SessionTable.decode(Uint8Array.of(9, 0, 0, 0, 32, 0, 0, 0, 0))).toThrow(/version/);
  });
});

describe('the snapshot payload', () => {
  const book = new Map([[1, 'inproc://1'], [2, 'inproc://2']]);
  const data = Uint8Array.of(1, 2, 3);

  test('version 2 carries the session table', () => {
    const sessions = new SessionTable();
    sessions.maybeApply(id(1, 1, 1));
    const bytes = encodeSnapshotPayload({ book, sessions: sessions.encode(), data });
    expect(bytes[0]).toBe(0x54);
    const p = decodeSnapshotPayload(bytes);
    expect(p.book).toEqual(book);
    expect(p.data).toEqual(data);
    expect(SessionTable.decode(p.sessions!).maybeApply(id(1, 1, 1))).toBe(false);
  });

  test('without a table, version 2 carries an empty one', () => {
    const p = decodeSnapshotPayload(encodeSnapshotPayload({ book, data }));
    expect(p.sessions).toEqual(new Uint8Array(0));
    expect(p.data).toEqual(data);
  });

  test('version 1 (tag 0x53, no session table) is still read', () => {
    const a = encodeAddress('inproc://1');
    const v1 = new Uint8Array(5 + 12 + a.length + data.length);
    const dv = new DataView(v1.buffer);
    v1[0] = 0x53;
    dv.setUint32(1, 1);
    dv.setFloat64(5, 1);
    dv.setUint32(13, a.length);
    v1.set(a, 17);
    v1.set(data, 17 + a.length);
    const p = decodeSnapshotPayload(v1);
    expect(p.book).toEqual(new Map([[1, 'inproc://1']]));
    expect(p.sessions).toBeUndefined();
    expect(p.data).toEqual(data);
  });

  test('bytes that are no payload are state machine data', () => {
    const raw = Uint8Array.of(0x54, 0, 0, 0, 0); // a version 2 tag with no room for the table
    expect(decodeSnapshotPayload(raw)).toEqual({ book: new Map(), data: raw });
    expect(decodeSnapshotPayload(data)).toEqual({ book: new Map(), data });
  });
});
