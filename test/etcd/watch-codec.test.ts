import { describe, expect, test } from 'vitest';
import { etcdServices } from '../../src/etcd/proto.js';
import { encodeWatchFrames, encodeWatchResponse, fragmentBatch } from '../../src/etcd/watch-codec.js';
import { EventType, type Event, type KeyValue } from '../../src/kv/types.js';
import type { WatchBatch } from '../../src/kv/watch/types.js';
import { SeededRng } from '../../src/raft/rng.js';

// The two-pass WatchResponse encoder against protobufjs (field by field): over seeded batches, and
// on hand-picked ones (events with and without prevKv, an ending batch, a progress notification).

const decode = (b: Buffer): Record<string, unknown> => etcdServices().Watch['Watch']!.responseDeserialize(b) as Record<string, unknown>;

function randomBatch(rng: SeededRng): WatchBatch {
  const big = (): number => [0, 1, 127, 128, 16_383, 16_384, 2 ** 31 - 1, 2 ** 31, 2 ** 40 + 3][rng.nextInt(9)]!;
  const bytes = (): Uint8Array => Uint8Array.from({ length: [0, 1, 5, 127, 128, 300][rng.nextInt(6)]! }, () => rng.nextInt(256));
  const kv = (): KeyValue => ({ key: bytes(), createRevision: big(), modRevision: big(), version: big(), value: bytes(), lease: [0n, 1n, 2n ** 62n, -1n][rng.nextInt(4)]! });
  const events: Event[] = Array.from({ length: rng.nextInt(5) }, () => {
    const e: Event = { type: rng.nextInt(2) === 0 ? EventType.PUT : EventType.DELETE, kv: kv() };
    if (rng.nextInt(2) === 0) e.prevKv = kv();
    return e;
  });
  const canceled = rng.nextInt(4) === 0;
  return {
    header: { clusterId: [0n, 77n, 2n ** 63n + 5n][rng.nextInt(3)]!, memberId: [0n, 1n, 0xfedcba9876543210n][rng.nextInt(3)]!, revision: big(), raftTerm: big() },
    watchId: 0, events, compactRevision: canceled ? big() : 0, canceled, cancelReason: canceled ? ['', 'canceled by the client', 'mvcc: required revision has been compacted', 'é✓'][rng.nextInt(4)]! : '',
    fragment: rng.nextInt(3) === 0, progressNotify: events.length === 0 && !canceled,
  };
}

describe('encodeWatchResponse (etcdserverpb.WatchResponse in two passes)', () => {
  test('400 seeded batches: protobufjs reads every field back', () => {
    const rng = new SeededRng(9);
    for (let i = 0; i < 400; i++) {
      const b = randomBatch(rng);
      const id = [0, 1, 300, 2 ** 33][rng.nextInt(4)]!;
      const got = encodeWatchResponse(b, id);
      const out = decode(got) as { header: Record<string, string>; watchId: string; canceled: boolean; fragment: boolean; compactRevision: string; cancelReason: string; events: { type: string; kv: Record<string, unknown>; prevKv?: Record<string, unknown> | null }[] };
      expect(out.header).toMatchObject({ clusterId: String(b.header.clusterId), memberId: String(b.header.memberId), revision: String(b.header.revision), raftTerm: String(b.header.raftTerm) });
      expect([out.watchId, out.canceled, out.fragment, out.compactRevision, out.cancelReason]).toEqual([String(id), b.canceled, b.fragment, String(b.compactRevision), b.cancelReason]);
      expect(out.events).toHaveLength(b.events.length);
      b.events.forEach((e, j) => {
        const o = out.events[j]!;
        expect(Buffer.from(o.kv['key'] as Uint8Array).equals(Buffer.from(e.kv.key))).toBe(true);
        expect(Buffer.from(o.kv['value'] as Uint8Array).equals(Buffer.from(e.kv.value))).toBe(true);
        expect(o.kv['modRevision']).toBe(String(e.kv.modRevision));
        expect(o.kv['lease']).toBe(String(e.kv.lease));
        expect(o.prevKv === null || o.prevKv === undefined).toBe(e.prevKv === undefined);
      });
    }
  });
});

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const kv = (key: string, value: Uint8Array, extra: Partial<KeyValue> = {}): KeyValue => ({ key: bytes(key), value, createRevision: 2, modRevision: 5, version: 3, lease: 0n, ...extra });

describe('encodeWatchResponse on hand-picked batches', () => {
  const decodeWatch = (b: Buffer): Record<string, unknown> => etcdServices().Watch['Watch']!.responseDeserialize(b) as Record<string, unknown>;
  const header = { clusterId: 9n, memberId: 8n, revision: 30, raftTerm: 2 };

  test('decodes with the .proto files to the same events: put with prevKv, delete (type 1, key and revision only)', () => {
    const out = decodeWatch(encodeWatchResponse({
      header, watchId: 0, compactRevision: 0, canceled: false, cancelReason: '', fragment: true, progressNotify: false,
      events: [
        { type: EventType.PUT, kv: kv('a', bytes('new'), { modRevision: 29 }), prevKv: kv('a', bytes('old')) },
        { type: EventType.DELETE, kv: { key: bytes('b'), value: new Uint8Array(0), createRevision: 0, modRevision: 30, version: 0, lease: 0n } },
      ],
    }, 7));
    expect(out.header).toEqual({ clusterId: '9', memberId: '8', revision: '30', raftTerm: '2' });
    expect([out.watchId, out.created, out.canceled, out.fragment, out.compactRevision, out.cancelReason]).toEqual(['7', false, false, true, '0', '']);
    const events = out.events as { type: number; kv: Record<string, unknown>; prevKv?: Record<string, unknown> | null }[];
    expect(events.map((e) => e.type)).toEqual([0, 1]);
    expect(Buffer.from(events[0]!.kv.value as Buffer).toString()).toBe('new');
    expect(events[0]!.kv.modRevision).toBe('29');
    expect(Buffer.from(events[0]!.prevKv!.value as Buffer).toString()).toBe('old');
    expect(events[1]!.prevKv ?? undefined).toBeUndefined();
    expect([Buffer.from(events[1]!.kv.key as Buffer).toString(), events[1]!.kv.modRevision, events[1]!.kv.version]).toEqual(['b', '30', '0']);
  });

  test('an ending batch carries canceled, the compacted revision and the reason; a progress notification is a header and the id', () => {
    const end = decodeWatch(encodeWatchResponse({ header, watchId: 3, events: [], compactRevision: 12, canceled: true, cancelReason: 'mvcc: required revision has been compacted', fragment: false, progressNotify: false }, 3));
    expect([end.watchId, end.canceled, end.compactRevision, end.cancelReason, end.events]).toEqual(['3', true, '12', 'mvcc: required revision has been compacted', []]);
    const progress = decodeWatch(encodeWatchResponse({ header, watchId: 0, events: [], compactRevision: 0, canceled: false, cancelReason: '', fragment: false, progressNotify: true }, 0));
    expect([progress.watchId, progress.canceled, progress.events]).toEqual(['0', false, []]);
    expect((progress.header as Record<string, unknown>).revision).toBe('30');
  });
});

describe('encodeWatchFrames (several WatchResponses as gRPC messages in one Buffer)', () => {
  test('300 seeded runs of 1-6 batches of several watch ids: each response as encodeWatchResponse writes it, behind its own 5-byte prefix, in order', () => {
    const rng = new SeededRng(21);
    for (let i = 0; i < 300; i++) {
      const batches = Array.from({ length: 1 + rng.nextInt(6) }, () => randomBatch(rng));
      const ids = batches.map(() => [0, 7, 2 ** 33][rng.nextInt(3)]!);
      const want = Buffer.concat(batches.flatMap((b, j) => {
        const one = encodeWatchResponse(b, ids[j]!);
        const prefix = Buffer.alloc(5);
        prefix.writeUInt32BE(one.length, 1);
        return [prefix, one];
      }));
      expect(encodeWatchFrames(batches, ids).equals(want)).toBe(true);
    }
  });
});

describe('fragmentBatch (etcd\'s sendFragments)', () => {
  const header = { clusterId: 0xfedcba9876543210n, memberId: 77n, revision: 40, raftTerm: 3 };
  const event = (i: number, size: number): Event => ({ type: EventType.PUT, kv: { key: Buffer.from(`k${i}`), value: new Uint8Array(size), createRevision: 5, modRevision: 40, version: 2, lease: 0n } });
  const batch = (sizes: number[]): WatchBatch => ({ header, watchId: 0, events: sizes.map((n, i) => event(i, n)), compactRevision: 0, canceled: false, cancelReason: '', fragment: false, progressNotify: false });
  const size = (b: WatchBatch): number => encodeWatchResponse(b, 4).length;

  test('a batch below the limit, or of one event, is sent as it is', () => {
    const small = batch([100, 200, 300]);
    expect(fragmentBatch(small, 4, size(small) + 1)).toEqual([small]);
    const one = batch([5000]);
    expect(fragmentBatch(one, 4, 100)).toEqual([one]);
  });

  test('over 2000 seeded batches: fragments keep every event in order, all but the last flagged, each below the limit unless it holds one event, each as full as etcd fills it', () => {
    const rng = new SeededRng(7);
    for (let i = 0; i < 2000; i++) {
      const b = batch(Array.from({ length: 2 + rng.nextInt(12) }, () => rng.nextInt(3000)));
      const max = 200 + rng.nextInt(size(b));
      const parts = fragmentBatch(b, 4, max);
      expect(parts.flatMap((p) => p.events)).toEqual(b.events);
      if (size(b) < max) {
        expect(parts).toEqual([b]);
        continue;
      }
      expect(parts.map((p) => p.fragment)).toEqual(parts.map((_, j) => j < parts.length - 1));
      let next = 0;
      for (const p of parts) {
        next += p.events.length;
        const flagged = { ...p, fragment: true };
        if (p.events.length > 1) expect(size(flagged)).toBeLessThan(max);
        // etcd adds events while the response stays below the limit: one more would reach it.
        if (next < b.events.length) expect(size({ ...flagged, events: [...p.events, b.events[next]!] })).toBeGreaterThanOrEqual(max);
      }
    }
  });
});
