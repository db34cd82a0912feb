/**
 * The CPU a member spends delivering watch events (run by hand: `node --import tsx bench/watch-floor.ts`):
 * a {@link WatchHub} fed synthetic revisions (one put of a 1-byte value on `bw/0..99` each, as the
 * etcd bench's watch row writes), served by raftkit's Watch service over grpc-js to one etcd3 watcher
 * on `bw/` in a child process, so that this process does only the member's side of the stream. The
 * revisions come in bursts (a follower applies a batch of entries per turn of its loop, and the
 * stream writes once per burst), `WATCH_FLOOR_RATE` events per second (default 3000) for
 * `WATCH_FLOOR_MS` per round (default 3000). Each round is measured twice, back to back: with the
 * watcher fed and with the revisions going nowhere (no watcher subscribed: the driving loop alone);
 * the difference of this process's CPU, per event, is the watch path's. Prints, per burst size
 * (`WATCH_FLOOR_BURSTS`, default `1,8,32`), the median of `WATCH_FLOOR_ROUNDS` rounds (default 5) and
 * their spread: CPU per event then is per-event work plus the per-write work divided by the burst.
 * No Raft, store or disk: only the hub, the stream's encoding and grpc-js/HTTP/2 writes.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { Etcd3 } from 'etcd3';
import { GrpcMetrics } from '../src/etcd/grpc-metrics.js';
import { etcdServices } from '../src/etcd/proto.js';
import { withResponseCodecs } from '../src/etcd/response-codec.js';
import type { RpcContext } from '../src/etcd/rpc.js';
import { watchService } from '../src/etcd/watch.js';
import type { KvClient } from '../src/kv/kv-client.js';
import { EventType, type ReadonlyEvent } from '../src/kv/types.js';
import type { WatchOptions, WatchSource } from '../src/kv/watch/types.js';
import { WatchHub } from '../src/kv/watch/watch-hub.js';
import { median } from './util.js';

const RATE = Number(process.env['WATCH_FLOOR_RATE'] ?? 3000);
const MS = Number(process.env['WATCH_FLOOR_MS'] ?? 3000);
const ROUNDS = Number(process.env['WATCH_FLOOR_ROUNDS'] ?? 5);
const BURSTS = (process.env['WATCH_FLOOR_BURSTS'] ?? '1,8,32').split(',').map(Number);

type Observer = (r: { revision: number; events: readonly ReadonlyEvent[] }) => void;

/** The watcher: counts the events it gets and tells the parent how many when asked. */
async function watcherProcess(host: string): Promise<void> {
  const client = new Etcd3({ hosts: host });
  const w = await client.watch().prefix('bw/').create();
  let events = 0;
  w.on('put', () => events++);
  process.on('message', () => process.send?.(events));
  process.send?.('ready');
}

/** The member's side: the hub and the Watch service, fed by a timed loop. */
async function memberProcess(): Promise<void> {
  let rev = 1;
  const observers = new Set<Observer>();
  const source: WatchSource = {
    revision: () => rev,
    compactRevision: () => -1,
    onRevision: (fn) => (observers.add(fn), () => void observers.delete(fn)),
    onRestore: () => () => undefined,
    readEvents: () => Promise.resolve([]),
    readAt: () => Promise.resolve(undefined),
    header: (revision) => ({ clusterId: 14841639068965178418n, memberId: 10501334649042878790n, revision, raftTerm: 2 }),
  };
  const hub = new WatchHub(source);
  const grpc = new GrpcMetrics();
  const ctx = {
    clusterId: 1n, maxRequestBytes: 1 << 20, maxTxnOps: 128, leaderLossMs: 3000, leader: () => 1, grpc,
    header: (revision = rev) => ({ clusterId: '1', memberId: '2', revision: String(revision), raftTerm: '2' }), requestBytes: () => undefined,
  } as unknown as RpcContext;
  const kv = { watch: (key: Uint8Array, o: WatchOptions) => hub.watch(key, o.rangeEnd as Uint8Array, o) } as unknown as KvClient;
  const server = new Server({ 'grpc.enable_channelz': 0 });
  server.addService(withResponseCodecs(etcdServices()).Watch, watchService(ctx, kv));
  const port = await new Promise<number>((res, rej) => server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e === null ? res(p) : rej(e))));
  const child = fork(fileURLToPath(import.meta.url), ['watcher', `127.0.0.1:${String(port)}`], { execArgv: process.execArgv });
  await new Promise((res) => child.once('message', res));
  while (hub.watchers === 0) await new Promise((res) => setTimeout(res, 10));
  const feeding = [...observers];
  const delivered = (): Promise<number> => new Promise((res) => {
    child.once('message', (m) => res(m as number));
    child.send('count');
  });
  const value = new Uint8Array([120]);
  const keys = Array.from({ length: 100 }, (_, i) => new TextEncoder().encode(`bw/${String(i)}`));
  // Runs the loop for MS: bursts of `burst` revisions, as many as the rate asks for, every tick. CPU ms per event.
  const round = async (burst: number, fed: boolean): Promise<number> => {
    observers.clear();
    if (fed) for (const f of feeding) observers.add(f);
    const tick = Math.max(1, Math.round((burst * 1000) / RATE));
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    let sent = 0;
    while (performance.now() - t0 < MS) {
      const due = ((performance.now() - t0) / 1000) * RATE;
      for (; sent + burst <= due; sent += burst) {
        for (let i = 0; i < burst; i++) {
          rev++;
          const kv = { key: keys[rev % 100]!, createRevision: 2, modRevision: rev, version: rev, value, lease: 0n };
          const r = { revision: rev, events: [{ type: EventType.PUT, kv }] };
          for (const fn of observers) fn(r);
        }
      }
      await new Promise((res) => setTimeout(res, tick));
    }
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / 1000 / sent;
  };
  const n0 = await delivered();
  let fedEvents = 0;
  await round(8, true); // warm-up
  console.log(`watch floor: ${String(RATE)} events/s, ${String(MS)} ms per round, ${String(ROUNDS)} rounds per burst size (server CPU per event, fed minus unfed)`);
  const figures: Record<string, { usPerEvent: number; min: number; max: number }> = {};
  for (const burst of BURSTS) {
    const diffs: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const fed = await round(burst, true);
      fedEvents += Math.floor((MS / 1000) * RATE);
      diffs.push((fed - (await round(burst, false))) * 1000);
    }
    figures[String(burst)] = { usPerEvent: median(diffs), min: Math.min(...diffs), max: Math.max(...diffs) };
    console.log(`  burst ${String(burst).padStart(3)}: ${median(diffs).toFixed(2)} us/event (rounds ${diffs.map((d) => d.toFixed(2)).join(' ')})`);
  }
  await new Promise((res) => setTimeout(res, 500));
  console.log(`  the watcher got ${String((await delivered()) - n0)} events (about ${String(fedEvents)} fed after the warm-up, plus the warm-up's); slow-watcher fallbacks: ${String(hub.slowEvents)}`);
  child.kill();
  server.forceShutdown();
}

if (process.argv[2] === 'watcher') await watcherProcess(process.argv[3]!);
else await memberProcess();
