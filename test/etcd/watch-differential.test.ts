import type { ClientDuplexStream } from '@grpc/grpc-js';
import { describe, expect, test } from 'vitest';
import { SeededRng } from '../../src/raft/rng.js';
import { differentialPair, type Client, type Wire } from './differential-pair.js';
import { callUnary, rawClient } from './helpers.js';

// The same seeded writes go to a real etcd (3.4, started here; the test FAILS when it cannot
// start) and to a one-member raftkit cluster behind raftkit/etcd, both through raw gRPC clients,
// while the same watchers (every create option: single keys, prefixes, ranges, the whole
// keyspace, prev_kv, each filter, progress_notify, historical start revisions, some below the
// compaction, chosen watch ids, empty ranges, client cancels) listen on one Watch stream per
// side. Each watcher's responses, flattened to its events and its create and cancel answers,
// must be the same on both sides. How the events of several revisions are grouped into
// responses is left out: etcd itself groups them by timing.

interface Side {
  url: string;
  kv: Client;
  watch: Client;
  stream: ClientDuplexStream<Wire, Wire>;
  /** Per watch id, what it received, flattened. */
  seen: Map<string, string[]>;
  /** Create answers, in order. */
  created: string[];
  /** Progress answers (watch id -1). */
  progress: string[];
}

const SEEDS = [11, 12, 13];
const STEPS = 160;
const KEYS = ['a', 'a/1', 'a/2', 'b', 'b/x', 'c', 'd'];

/** A seeded PRNG's next float in [0, 1). */
function rng(seed: number): () => number {
  const g = new SeededRng(seed);
  return () => g.nextFloat();
}

const b = (s: string): Buffer => Buffer.from(s);
const text = (x: unknown): string => (x instanceof Uint8Array ? Buffer.from(x).toString() : String(x));

function kvText(kv: Wire | null | undefined): string {
  if (kv === null || kv === undefined) return '-';
  return `${text(kv.key)}=${text(kv.value)}@c${String(kv.createRevision)}m${String(kv.modRevision)}v${String(kv.version)}l${String(kv.lease)}`;
}

function openSide(url: string): Side {
  const side: Side = { url, kv: rawClient('KV', url), watch: rawClient('Watch', url), stream: undefined as unknown as ClientDuplexStream<Wire, Wire>, seen: new Map(), created: [], progress: [] };
  side.stream = (side.watch as unknown as { Watch(): ClientDuplexStream<Wire, Wire> }).Watch();
  side.stream.on('error', () => undefined);
  side.stream.on('data', (r: Wire) => {
    const id = String(r.watchId);
    if (r.created === true) {
      side.created.push(`id ${id} at ${String((r.header as Wire).revision)} canceled ${String(r.canceled)} compact ${String(r.compactRevision)} reason ${String(r.cancelReason)}`);
      if (id === '-1') return;
    }
    if (id === '-1') {
      side.progress.push(`progress at ${String((r.header as Wire).revision)}`);
      return;
    }
    const got = side.seen.get(id) ?? [];
    side.seen.set(id, got);
    const events = (r.events as Wire[] | undefined) ?? [];
    // A response with nothing in it is a progress notification (none is due: both sides' interval is etcd's 10 minutes).
    if (events.length === 0 && r.created !== true && r.canceled !== true) got.push(`progress notification at ${String((r.header as Wire).revision)}`);
    for (const e of events) got.push(`${String(e.type)} ${kvText(e.kv as Wire)} prev ${kvText(e.prevKv as Wire | null)}`);
    if (r.canceled === true && r.created !== true) got.push(`canceled compact ${String(r.compactRevision)} reason ${String(r.cancelReason)}`);
  });
  return side;
}

function closeSide(s: Side): void {
  s.stream.end();
  s.stream.cancel();
  s.kv.close();
  s.watch.close();
}

/** A watch create request: one of the shapes a client makes. */
function watchShape(r: () => number, startRevision: number, ids: number): Wire {
  const key = KEYS[Math.floor(r() * KEYS.length)]!;
  const shape = Math.floor(r() * 4);
  const range = shape === 0 ? {} : shape === 1 ? { rangeEnd: b(`${key}0`) } : shape === 2 ? { key: b(''), rangeEnd: b('\0') } : { rangeEnd: b('c') };
  const filters = r() < 0.2 ? [0] : r() < 0.2 ? [1] : []; // NOPUT, NODELETE
  // Now and then a chosen watch id: one in use (refused as a duplicate) or a free one (which the automatic ids then skip).
  const watchId = r() < 0.2 ? Math.floor(r() * (ids + 3)) : 0;
  return { key: b(key), ...range, startRevision, prevKv: r() < 0.5, filters, progressNotify: r() < 0.3, watchId };
}

async function unary(s: Side, method: string, req: Wire): Promise<Wire> {
  const { res, err } = await callUnary(s.kv, method, req);
  if (err !== undefined) throw err;
  return res!;
}

async function runSeed(seed: number, etcdUrl: string, raftkitUrl: string): Promise<{ events: number; seen: Set<string> }> {
  const sides = [openSide(etcdUrl), openSide(raftkitUrl)];
  const r = rng(seed);
  const [first, firstRk] = await Promise.all(sides.map(async (s) => Number(((await unary(s, 'Range', { key: b('none') })).header as Wire).revision)));
  expect(firstRk, 'both start at the same revision').toBe(first);
  let rev = first!;
  let compacted = 0;
  let watchers = 0;
  // Each create is answered on both sides before the next request, so its answer's header
  // revision is the same on both.
  const create = async (req: Wire): Promise<void> => {
    for (const s of sides) s.stream.write({ createRequest: req });
    watchers++;
    const until = performance.now() + 5000;
    while (sides.some((s) => s.created.length < watchers) && performance.now() < until) await new Promise((res) => setTimeout(res, 1));
  };
  try {
    for (let i = 0; i < 6; i++) await create(watchShape(r, 0, watchers));
    for (let step = 0; step < STEPS; step++) {
      const x = r();
      const key = KEYS[Math.floor(r() * KEYS.length)]!;
      let req: [string, Wire];
      if (x < 0.5) req = ['Put', { key: b(key), value: b(`v${step}`) }];
      else if (x < 0.65) req = ['DeleteRange', { key: b(key), ...(r() < 0.4 ? { rangeEnd: b(`${key}0`) } : {}) }];
      else if (x < 0.85) {
        const ops = [0, 1, 2].map((j) => {
          const k = KEYS[Math.floor(r() * KEYS.length)]!;
          return r() < 0.7 ? { requestPut: { key: b(`${k}/t${j}`), value: b(`t${step}`) } } : { requestDeleteRange: { key: b(k) } };
        });
        req = ['Txn', { compare: [], success: ops, failure: [] }];
      } else if (x < 0.9 && rev > compacted + 5) {
        compacted = compacted + 1 + Math.floor(r() * (rev - compacted - 1));
        req = ['Compact', { revision: compacted, physical: true }];
      } else if (x < 0.92) {
        // A client's cancel, of a live watcher, one a compaction ended, or an unknown id; answered
        // (or not) before the next request.
        const id = String(Math.floor(r() * (watchers + 1)));
        for (const s of sides) s.stream.write({ cancelRequest: { watchId: id } });
        const ended = (s: Side): boolean => s.seen.get(id)?.at(-1)?.startsWith('canceled compact 0') === true;
        // A watcher created on both and not canceled by the client yet is answered: wait for it
        // however loaded the machine is (a write sent before the answer could reach one side's
        // watcher and not the other's). Any other id may get no answer at all.
        const created = (x: Side): boolean => x.created.some((c) => c.startsWith(`id ${id} at `) && c.includes('canceled false'));
        const until = performance.now() + (sides.every((x) => created(x) && !ended(x)) ? 10_000 : 300);
        while (!sides.every(ended) && performance.now() < until) await new Promise((res) => setTimeout(res, 2));
        continue;
      } else {
        // A watcher from a past revision: replays history, or is canceled below the compaction.
        const from = Math.max(1, Math.floor(r() * (rev + 1)));
        await create(watchShape(r, from, watchers));
        // etcd catches a watcher up from history in its sync loop (every 100 ms): a compaction
        // sent before that would cancel it there while raftkit had already caught it up.
        await new Promise((res) => setTimeout(res, 250));
        continue;
      }
      const answers = await Promise.all(sides.map((s) => unary(s, req[0], req[1]).then((a) => String((a.header as Wire).revision), (e: unknown) => `error ${(e as Error).message}`)));
      expect(answers[1], `seed ${seed} step ${step}: ${req[0]}`).toBe(answers[0]);
      if (!answers[0]!.startsWith('error')) rev = Number(answers[0]);
    }
    // Both have sent every event: each stream's progress answer comes after its watchers' events.
    for (const s of sides) s.stream.write({ progressRequest: {} });
    const deadline = performance.now() + 10_000;
    while (sides.some((s) => s.progress.length === 0 || s.created.length < watchers) && performance.now() < deadline) await new Promise((res) => setTimeout(res, 20));
    await new Promise((res) => setTimeout(res, 200));
    const [e, k] = sides as [Side, Side];
    expect(k.created, `seed ${seed}: create answers`).toEqual(e.created);
    expect(k.progress, `seed ${seed}: progress answers`).toEqual(e.progress);
    expect([...k.seen.keys()].sort()).toEqual([...e.seen.keys()].sort());
    const seen = new Set<string>();
    let events = 0;
    for (const [id, want] of e.seen) {
      expect(k.seen.get(id), `seed ${seed} watcher ${id}`).toEqual(want);
      events += want.length;
      for (const w of want) {
        if (w.startsWith('canceled compact 0')) seen.add('canceled by the client');
        else if (w.startsWith('canceled')) seen.add('canceled by a compaction');
        else if (w.includes(' prev -') && w.startsWith('1')) seen.add('delete without prev_kv');
        else if (!w.includes(' prev -')) seen.add('event with prev_kv');
      }
    }
    for (const want of e.seen.values()) {
      const compactedAt = want.findIndex((w) => /^canceled compact [1-9]/.test(w));
      if (compactedAt >= 0 && want.slice(compactedAt + 1).some((w) => w.startsWith('canceled compact 0'))) seen.add('cancel of a watcher a compaction ended');
    }
    for (const c of e.created) {
      if (c.includes('duplicate watch ID')) seen.add('duplicate id');
      if (c.includes('range is empty')) seen.add('empty range');
    }
    return { events, seen };
  } finally {
    for (const s of sides) closeSide(s);
  }
}

describe('Watch answers as a real etcd does', () => {
  const pair = differentialPair();

  test('seeded writes and compactions under watchers of every shape: the same events, prev_kv, filters, replays, cancellations and progress', async () => {
    let events = 0;
    const seen = new Set<string>();
    for (const seed of SEEDS) {
      const got = await runSeed(seed, pair.etcd.url, pair.raftkitUrl);
      events += got.events;
      for (const x of got.seen) seen.add(x);
    }
    // The sequences reached the interesting cases.
    expect(events).toBeGreaterThan(1000);
    expect([...seen].sort()).toEqual(['cancel of a watcher a compaction ended', 'canceled by a compaction', 'canceled by the client', 'delete without prev_kv', 'duplicate id', 'empty range', 'event with prev_kv']);
  }, 120_000);
});
