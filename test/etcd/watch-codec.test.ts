import { describe, expect, test } from 'vitest';
import { etcdServices } from '../../src/etcd/proto.js';
import { encodeWatchBatch } from '../../src/etcd/response-codec.js';
import { encodeWatchResponse } from '../../src/etcd/watch-codec.js';
import { EventType, type Event, type KeyValue } from '../../src/kv/types.js';
import type { WatchBatch } from '../../src/kv/watch/types.js';
import { SeededRng } from '../../src/raft/rng.js';

// The two-pass WatchResponse encoder against the growable one it replaces on the watch stream
// (byte for byte) and against protobufjs (field by field), over seeded batches.

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
  test('400 seeded batches: the same bytes as the growable encoder, and protobufjs reads every field back', () => {
    const rng = new SeededRng(9);
    for (let i = 0; i < 400; i++) {
      const b = randomBatch(rng);
      const id = [0, 1, 300, 2 ** 33][rng.nextInt(4)]!;
      const got = encodeWatchResponse(b, id);
      expect(got.equals(encodeWatchBatch(b, id))).toBe(true);
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
