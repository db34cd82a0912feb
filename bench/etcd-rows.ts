/**
 * The etcd bench's rows, each set up on one cluster with the bench's shared client: timed stretches
 * of its load (warm-up or measured slices, as the method asks), then its own note. Puts with 1 and
 * 64 in flight, linearizable and serializable ranges, and the watch row.
 */
import { Etcd3 } from 'etcd3';
import { scrape, watcherMember, type Cluster } from './etcd-cluster.js';
import { percentile } from './util.js';

/** How long a watch slice waits, after its load stops, for the events of its acknowledged puts. */
const WATCH_DRAIN_MS = 1000;

/** What one timed stretch of a row's load did: operations, its wall time (ms), each operation's latency. */
export interface Measured { ops: number; ms: number; latencies: number[] }

/** A row set up on one cluster: timed stretches of its load, then its own note. */
export interface RowRun {
  /** Runs the row's load for `ms` (warm-up or measured). */
  slice(ms: number): Promise<Measured>;
  /** The measured part starts now (after the warm-up). */
  start(): void;
  /** Ends the row (closes what it opened) and returns its note (the watcher's), if any. */
  finish(): Promise<string | undefined>;
}

/** A cluster with the bench's shared client on it. */
export interface Side {
  /** The cluster. */
  cluster: Cluster;
  /** The client every row but the watcher uses, on every member (or the leader only). */
  client: Etcd3;
}

/** Runs `op` with `inFlight` concurrent loops for `ms`: the operations, the time until the last one ended, latencies. */
async function load(inFlight: number, op: (i: number) => Promise<unknown>, ms: number): Promise<Measured> {
  const latencies: number[] = [];
  const t0 = performance.now();
  const end = t0 + ms;
  let n = 0;
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (performance.now() < end) {
      const t = performance.now();
      await op(n++);
      latencies.push(performance.now() - t);
    }
  }));
  return { ops: latencies.length, ms: performance.now() - t0, latencies };
}

/**
 * Matches puts to their watch events by revision (a put's answer carries its revision, its event
 * the same `mod_revision`). `sent` holds (start, answer, revision) per put, `arrived` when each
 * revision's event reached the watcher; for each put whose event arrived, appends to `fromStart` the
 * time from its start to its event and to `afterAnswer` the time from its answer to its event
 * (negative when the event came first). Puts whose event did not arrive are left out.
 */
export function matchDeliveries(sent: readonly number[], arrived: ReadonlyMap<number, number>, fromStart: number[], afterAnswer: number[]): void {
  for (let i = 0; i + 2 < sent.length; i += 3) {
    const at = arrived.get(sent[i + 2]!);
    if (at === undefined) continue;
    fromStart.push(at - sent[i]!);
    afterAnswer.push(at - sent[i + 1]!);
  }
}

/** A row that is only load: nothing to set up or report. */
function loadRow(inFlight: number, op: (i: number) => Promise<unknown>): RowRun {
  return { slice: (ms) => load(inFlight, op, ms), start: () => undefined, finish: () => Promise.resolve(undefined) };
}

/**
 * The watch row on one cluster: one watcher on `bw/`, its own client connected to the member of role
 * `role` only (see `watcherMember`), while 64 writers put through the shared client (every
 * member). A slice counts the events delivered from its start until every put it had acknowledged has
 * been delivered (at most `WATCH_DRAIN_MS` after the load), and its time is that long. The note says
 * where the watcher was, whether that member kept its role, and its CPU per event next to the other follower's,
 * then what the row's p99 (its puts') is made of: the p99 of the puts, of each put's event at the watcher
 * (from the put's start), and of its delivery after the put's answer (negative: the event came first).
 * A put is matched to its event by revision (its answer's header revision is its event's `mod_revision`).
 */
async function watchRow(side: Side, role: 'leader' | 'follower'): Promise<RowRun> {
  const { cluster, client } = side;
  const at = await watcherMember(cluster, role);
  const watcherClient = new Etcd3({ hosts: cluster.hosts[at]! });
  const w = await watcherClient.watch().prefix('bw/').create();
  let events = 0;
  // When each revision's event reached the watcher, for the current slice.
  const arrived = new Map<number, number>();
  w.on('put', (kv) => {
    events++;
    arrived.set(Number(kv.mod_revision), performance.now());
  });
  // The measured slices' puts (latency), their events (from each put's start) and deliveries (after each put's answer), in ms.
  let measuring = false;
  const puts: number[] = [];
  const fromStart: number[] = [];
  const afterAnswer: number[] = [];
  // The watcher's member and another member of the same role (none when the watcher is on the leader).
  const twin = role === 'follower' ? (await Promise.all(cluster.metrics.map(async (url) => (await scrape(url)).get('etcd_server_is_leader') === 1))).findIndex((l, i) => !l && i !== at) : -1;
  let cpu0 = [0, 0];
  let events0 = 0;
  return {
    async slice(ms) {
      const e0 = events;
      arrived.clear();
      // Per put: its start, its answer and its revision.
      const sent: number[] = [];
      const t0 = performance.now();
      const r = await load(64, async (i) => {
        const start = performance.now();
        const res = await client.put(`bw/${i % 100}`).value('x').exec();
        sent.push(start, performance.now(), Number(res.header.revision));
      }, ms);
      for (const end = performance.now() + WATCH_DRAIN_MS; events - e0 < r.ops && performance.now() < end;) await new Promise((res) => setTimeout(res, 2));
      const took = performance.now() - t0;
      if (measuring) {
        for (const l of r.latencies) puts.push(l);
        matchDeliveries(sent, arrived, fromStart, afterAnswer);
      }
      return { ops: events - e0, ms: took, latencies: r.latencies };
    },
    start() {
      cpu0 = [cluster.memberCpuSeconds(at), twin < 0 ? 0 : cluster.memberCpuSeconds(twin)];
      events0 = events;
      measuring = true;
    },
    async finish() {
      try {
        await w.cancel();
        const n = Math.max(1, events - events0);
        const perEvent = (i: number, c0: number): string => (((cluster.memberCpuSeconds(i) - c0) * 1000) / n).toFixed(3);
        const cpu = `its CPU ${perEvent(at, cpu0[0]!)} ms/event` + (twin < 0 ? '' : ` (the other follower's ${perEvent(twin, cpu0[1]!)})`);
        const kept = (await watcherMember(cluster, role).catch(() => -1)) === at;
        const p99 = (xs: number[]): string => percentile(xs, 99).toFixed(1);
        const made = `p99 of the puts ${p99(puts)} ms, of their events at the watcher ${p99(fromStart)} ms from the put's start, ` +
          `of the delivery after the put's answer ${p99(afterAnswer)} ms (median ${percentile(afterAnswer, 50).toFixed(2)}; ${String(afterAnswer.length)} of ${String(puts.length)} matched)`;
        return `member ${String(at + 1)}, a ${role}${kept ? '' : ' (role changed during the row)'}; ${cpu}; ${made}`;
      } finally {
        watcherClient.close();
      }
    },
  };
}

const value = 'v'.repeat(256);

/**
 * The rows, by name, in the order they run: each sets itself up on one cluster.
 *
 * @param watcherRole - the role of the member the watch row's watcher connects to.
 */
export function etcdRows(watcherRole: 'leader' | 'follower'): readonly (readonly [string, (side: Side) => Promise<RowRun>])[] {
  return [
    ['put, 1 in flight', ({ client }) => Promise.resolve(loadRow(1, (i) => client.put(`b/${i % 1000}`).value(value).exec()))],
    ['put, 64 in flight', ({ client }) => Promise.resolve(loadRow(64, (i) => client.put(`b/${i % 1000}`).value(value).exec()))],
    ['range linearizable, 16 in flight', ({ client }) => Promise.resolve(loadRow(16, (i) => client.kv.range({ key: Buffer.from(`b/${i % 1000}`) })))],
    ['range serializable, 16 in flight', ({ client }) => Promise.resolve(loadRow(16, (i) => client.kv.range({ key: Buffer.from(`b/${i % 1000}`), serializable: true })))],
    ['watch events/s (64 writers)', (side) => watchRow(side, watcherRole)],
  ];
}
