import { expect, test } from 'vitest';
import { differentialPair, watchStreams, type Wire } from './differential-pair.js';
import { callUnary, until } from './helpers.js';

// Watchers catching up on history get it in etcd's responses: a real etcd 3.4 and a one-member
// raftkit cluster take the same 2,600 writes (puts, deletes, three-key txns, and writes outside the
// watched prefix), then the same watchers are created from past revisions. etcd's sync loop sends
// each of them its history in responses of at most 1,000 of the watcher's revisions (counted before
// its filters), each stamped with the current revision. Each watcher's responses, one by one, must
// be the same on both sides: which revisions each covers, its header's revision, and its events.

const pair = differentialPair();
const WRITES = 2_600;
const WATCHERS: Wire[] = [
  { key: Buffer.from('c/'), rangeEnd: Buffer.from('c0'), startRevision: 2 },
  { key: Buffer.from('c/a'), startRevision: 2 },
  { key: Buffer.from('c/'), rangeEnd: Buffer.from('c0'), startRevision: 2, filters: ['NOPUT'] },
  { key: Buffer.from('c/'), rangeEnd: Buffer.from('c0'), startRevision: 900, prevKv: true },
  { key: Buffer.from([0]), rangeEnd: Buffer.from([0]), startRevision: 1 },
];

interface Seen {
  /** Per watch id, each response: the revisions it covers, its header's revision, and its events. */
  responses: Map<string, { shape: string; events: string[] }[]>;
}

const text = (x: unknown): string => Buffer.from(x as Uint8Array).toString();

const seen: Seen[] = [0, 1].map(() => ({ responses: new Map() }));
const sides = watchStreams(() => [pair.etcd.url, pair.raftkitUrl], (i, r) => {
  const side = seen[i]!;
  const events = (r.events as Wire[] | undefined) ?? [];
  const revs = events.map((e) => Number((e.kv as Wire).modRevision));
  const shape = `${String(events.length)} events, revisions ${String(revs[0])}-${String(revs[revs.length - 1])}, header ${String((r.header as Wire).revision)}`;
  const evs = events.map((e) => {
    const kv = e.kv as Wire;
    const prev = e.prevKv as Wire | null | undefined;
    return `${String(e.type)} ${text(kv.key)}=${text(kv.value)}@${String(kv.modRevision)} prev ${prev ? `${text(prev.value)}@${String(prev.modRevision)}` : '-'}`;
  });
  const id = String(r.watchId);
  side.responses.set(id, [...(side.responses.get(id) ?? []), { shape, events: evs }]);
});

/** The `i`th write: mostly puts under `c/`, a txn of three every 17th, a delete every 13th, a key outside `c/` every 10th. */
function write(i: number): [string, Wire] {
  const key = (k: string): Buffer => Buffer.from(`c/${k}`);
  if (i % 10 === 9) return ['Put', { key: Buffer.from('z/other'), value: Buffer.from(String(i)) }];
  if (i % 17 === 0) return ['Txn', { success: ['a', 'b', 'c'].map((k) => ({ requestPut: { key: key(k), value: Buffer.from(`t${String(i)}`) } })) }];
  if (i % 13 === 0) return ['DeleteRange', { key: key('abcd'[i % 4]!) }];
  return ['Put', { key: key('abcd'[i % 4]!), value: Buffer.from(String(i)) }];
}

test('watchers catching up on 2,600 revisions get the same responses from etcd and raftkit: at most 1,000 of their revisions each, at the current revision', async () => {
  await Promise.all(sides.map(async (s) => {
    for (let i = 0; i < WRITES; i++) {
      const [method, req] = write(i);
      const { err } = await callUnary(s.kv, method, req);
      expect(err, `${method} ${String(i)}`).toBeUndefined();
    }
  }));
  const revision = async (s: (typeof sides)[number]): Promise<number> => Number(((await callUnary(s.kv, 'Range', { key: Buffer.from('z') })).res!.header as Wire).revision);
  const [etcdRev, raftkitRev] = await Promise.all(sides.map(revision));
  expect(raftkitRev).toBe(etcdRev);
  for (const w of WATCHERS) for (const s of sides) s.stream.write({ createRequest: w });
  await until(() => sides.every((s) => s.created === WATCHERS.length), 'the watchers');
  // Every watcher is caught up when its last response ends at the last revision it watches.
  const lastRevision = (s: Seen, id: string): number => {
    const rs = s.responses.get(id) ?? [];
    const last = rs[rs.length - 1]?.events.at(-1);
    return last === undefined ? 0 : Number(/@(\d+) prev/.exec(last)![1]);
  };
  await until(() => seen.every((s) => WATCHERS.every((_, id) => lastRevision(s, String(id)) >= lastRevision(seen[0]!, String(id)) && lastRevision(s, String(id)) > 0)), 'every watcher caught up', 30_000);
  // etcd's sync loop runs every 100 ms: give it time for any response still to come.
  await new Promise((r) => setTimeout(r, 500));
  const [etcd, raftkit] = seen as [Seen, Seen];
  const shapes = (s: Seen): Record<string, string[]> => Object.fromEntries([...s.responses].map(([id, rs]) => [id, rs.map((r) => r.shape)]));
  expect(shapes(raftkit)).toEqual(shapes(etcd));
  for (const [id, rs] of etcd.responses) expect(raftkit.responses.get(id)!.flatMap((r) => r.events), `watcher ${id}'s events`).toEqual(rs.flatMap((r) => r.events));
  // The cases came up: histories over 1,000 revisions, cut into several responses.
  expect(etcd.responses.get('0')!.length).toBeGreaterThanOrEqual(3);
  expect(etcd.responses.get('4')!.length).toBe(3);
}, 120_000);
