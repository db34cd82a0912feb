import { expect, test } from 'vitest';
import { differentialPair, watchStreams, type Wire } from './differential-pair.js';
import { callUnary, until } from './helpers.js';

// Watch responses fragmented as etcd's server fragments them: a real etcd 3.4 and a one-member
// raftkit cluster behind raftkit/etcd (both at etcd's default 1.5 MiB request limit) take the same
// large writes, while the same watchers listen (with and without `fragment`, with and without
// `prev_kv`). Each watcher's responses, one by one, must be the same on both sides: how many
// events each holds, which, and its `fragment` flag. The values' sizes leave kilobytes between
// every response and the limit, so that the headers' different cluster and member ids (a few bytes)
// cannot move a cut.

const pair = differentialPair();
const KiB = 1024;
/** Value sizes, in KiB, of the keys `f/0`... (5,950 KiB in all; etcd fragments at 2 MiB, its request limit plus 512 KiB). */
const SIZES = [900, 1200, 300, 700, 1000, 400, 1300, 150];
/** The sizes a txn writes back, in KiB (1,290 KiB: within one request). */
const TXN_SIZES = [100, 300, 50, 400, 200, 150, 40, 50];
const WATCHERS: Wire[] = [
  { key: Buffer.from('f/'), rangeEnd: Buffer.from('f0'), prevKv: true, fragment: true },
  { key: Buffer.from('f/'), rangeEnd: Buffer.from('f0'), fragment: true },
  { key: Buffer.from('f/'), rangeEnd: Buffer.from('f0'), prevKv: true },
];

interface Seen {
  /** Per watch id, each response: its events (type, key, value and previous value sizes) and fragment flag. */
  responses: Map<string, string[]>;
}

const seen: Seen[] = [0, 1].map(() => ({ responses: new Map() }));
// The watcher without fragments gets 6 MiB responses: above gRPC's default 4 MiB receive limit.
const sides = watchStreams(() => [pair.etcd.url, pair.raftkitUrl], (i, r) => {
  const side = seen[i]!;
  const id = String(r.watchId);
  const events = ((r.events as Wire[] | undefined) ?? []).map((e) => {
    const kv = e.kv as Wire;
    const prev = e.prevKv as Wire | null | undefined;
    return `${String(e.type)} ${Buffer.from(kv.key as Uint8Array).toString()} ${(kv.value as Uint8Array).length} prev ${prev ? (prev.value as Uint8Array).length : '-'}`;
  });
  side.responses.set(id, [...(side.responses.get(id) ?? []), `[${events.join(', ')}]${r.fragment === true ? ' fragment' : ''}`]);
}, { 'grpc.max_receive_message_length': -1 });

async function call(method: string, req: Wire): Promise<void> {
  for (const s of sides) {
    const { err } = await callUnary(s.kv, method, req);
    expect(err, `${method} failed`).toBeUndefined();
  }
}

const value = (kib: number, fill: number): Buffer => Buffer.alloc(kib * KiB, fill);

test('large revisions reach watchers in the same responses, fragmented at the same events, on etcd and raftkit', async () => {
  for (const w of WATCHERS) for (const s of sides) s.stream.write({ createRequest: w });
  await until(() => sides.every((s) => s.created === WATCHERS.length), 'the watchers');
  const putAll = async (): Promise<void> => {
    for (let i = 0; i < SIZES.length; i++) await call('Put', { key: Buffer.from(`f/${i}`), value: value(SIZES[i]!, i) });
  };
  await putAll();
  // One revision overwriting every key with a byte: 8 events, 5,950 KiB of previous values.
  await call('Txn', { success: SIZES.map((_, i) => ({ requestPut: { key: Buffer.from(`f/${i}`), value: Buffer.from('x') } })) });
  // One revision writing 1,290 KiB: below the limit.
  await call('Txn', { success: TXN_SIZES.map((n, i) => ({ requestPut: { key: Buffer.from(`f/${i}`), value: value(n, 100 + i) } })) });
  await putAll();
  // One revision deleting every key: 8 events, 5,950 KiB of previous values.
  await call('DeleteRange', { key: Buffer.from('f/'), rangeEnd: Buffer.from('f0') });
  const count = (s: Seen): number => [...s.responses.values()].reduce((n, rs) => n + rs.filter((r) => !r.endsWith('fragment')).length, 0);
  // Per watcher, 16 puts and 3 multi-event revisions, each ending with an unfragmented response.
  const revisions = 2 * SIZES.length + 3;
  await until(() => seen.every((s) => count(s) === WATCHERS.length * revisions), 'every revision on every watcher', 20_000);
  const [etcd, raftkit] = seen as [Seen, Seen];
  expect(Object.fromEntries(raftkit.responses)).toEqual(Object.fromEntries(etcd.responses));
  // The cases came up: the overwrite and the delete fragmented for the watcher with previous values, nothing else.
  const fragments = (id: string): number => etcd.responses.get(id)!.filter((r) => r.endsWith('fragment')).length;
  expect(fragments('0')).toBe(6);
  expect(fragments('1')).toBe(0);
  expect(etcd.responses.get('2')!).toHaveLength(revisions);
}, 60_000);
