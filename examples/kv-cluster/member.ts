/**
 * One member of the example KV cluster, as its own process: a Replica on LevelStorage
 * (classic-level on disk) running raftkit/kv's `KvStateMachine` (its MVCC data in the same
 * database as the Raft log), talking TCP on loopback to the other members.
 *
 * Usage: `node --import tsx examples/kv-cluster/member.ts <id> <dataDir> <peers>` where
 * `peers` is `1=127.0.0.1:7001,2=127.0.0.1:7002,...` and includes this member.
 *
 * It is driven over stdin/stdout with one JSON object per line:
 * - requests `{ "req": 1, "op": "put", "key": "k", "value": "v" }`, `{ "req": 2, "op": "get", "key": "k" }`
 *   (a linearizable read), `{ "req": 3, "op": "delete", "key": "k" }`,
 *   `{ "req": 4, "op": "cas", "key": "k", "expected": "v" | null, "value": "w" }` (compare-and-set, a KV txn;
 *   `expected: null` means "only if absent"), `{ "req": 5, "op": "status" }` (add `"detail": true` for the leader's
 *   progress per peer, the transport's per-peer counters and the refused-messages metric), `{ "req": 6, "op": "dump" }`
 *   (every key and value, by a linearizable KV range), `{ "req": 7, "op": "isolate", "on": true }` (cut the
 *   member off the network, or reconnect it with `false`), `{ "req": 8, "op": "watch", "key": "k-", "prefix": true }`
 *   (a KV watch; optional `"startRevision"`, and `"progressNotify": true` for progress notifications),
 *   `{ "req": 10, "op": "progress", "watchId": 1 }` (ask that watch for a progress notification),
 *   `{ "req": 9, "op": "snapshot", "path": "/tmp/x.db" }` (save a
 *   backup of the KV, as `etcdctl snapshot save` does); put, get, delete and cas take an optional
 *   `"timeoutMs"` (the request's deadline);
 * - answers `{ "req": 1, "ok": true, "result": ... }` or `{ "req": 1, "ok": false, "code": "ERR_...", "message": "..." }`:
 *   put and delete answer `{ "prev": ..., "revision": n }` (prev absent when the key was), cas
 *   `{ "prev": ..., "swapped": true, "revision": n }`, get `{ "value": "v" | null }`, watch `{ "watchId": 1, "startRevision": n }`;
 * - events `{ "event": "started" }`, `{ "event": "leader-change", "leader": 2, "term": 3 }`,
 *   `{ "event": "snapshot", "kind": "created", "index": 2001 }`, `{ "event": "error", "message": "..." }` and, for each
 *   batch of a watch, `{ "event": "watch", "watchId": 1, "revision": 6, "events": [["put", "k-1", "v", 5], ["delete", "k-2", "", 6]] }`
 *   (kind, key, value, revision; `revision` is the store revision the batch is current as of; a progress notification
 *   has `"progress": true` and no events), or `{ "event": "watch", "watchId": 1, "canceled": true, "reason": "..." }` when it ends.
 */
import { createInterface } from 'node:readline';
import { LevelStorage, Replica, TcpTransport, type PeerAddress, type RaftkitError, type RequestOptions } from 'raftkit';
import { KvClient, KvStateMachine } from 'raftkit/kv';
import { IsolatableTransport } from './isolatable-transport.js';
import { cas, del, dumpLocal, getLocal, put, watch } from './kv-requests.js';

interface Request {
  req: number;
  op: 'put' | 'get' | 'delete' | 'cas' | 'status' | 'dump' | 'isolate' | 'watch' | 'progress' | 'snapshot';
  key?: string;
  value?: string;
  expected?: string | null;
  timeoutMs?: number;
  /** With `status`: also answer `detail` (leader's progress, transport counters, refused messages). */
  detail?: boolean;
  /** With `isolate`: cut off (true) or reconnect (false). */
  on?: boolean;
  /** With `watch`: every key with the prefix `key`. */
  prefix?: boolean;
  /** With `watch`: the first revision to deliver. */
  startRevision?: number;
  /** With `watch`: also send progress notifications. */
  progressNotify?: boolean;
  /** With `progress`: the watch. */
  watchId?: number;
  /** With `snapshot`: the file to write. */
  path?: string;
}

function out(obj: unknown): void {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

function parsePeers(spec: string): PeerAddress[] {
  return spec.split(',').map((p) => {
    const [id, address] = p.split('=');
    return { id: Number(id), address: address! };
  });
}

async function main(): Promise<void> {
  const [idArg, dir, peersArg] = process.argv.slice(2);
  if (idArg === undefined || dir === undefined || peersArg === undefined) {
    throw new Error('usage: member.ts <id> <dataDir> <peers>');
  }
  const id = Number(idArg);
  const peers = parsePeers(peersArg);
  const self = peers.find((p) => p.id === id);
  if (self === undefined) throw new Error(`member ${id} is not in ${peersArg}`);
  const [host, port] = self.address.split(':');
  const storage = await LevelStorage.open({ path: dir });
  const tcp = new TcpTransport({ id, host: host!, port: Number(port), clusterId: 'kv-example' });
  const transport = new IsolatableTransport(tcp);
  // The KV keeps its MVCC data in the member's own database, next to the Raft log.
  const sm = new KvStateMachine({ storage, electionMs: 500 });
  const replica = await Replica.start({ id, peers, storage, transport, stateMachine: sm, tickMs: 50, electionTick: 10, heartbeatTick: 1, snapshotEvery: 2000 });
  const kv = new KvClient(replica);
  replica.on('leader-change', (leader, term) => out({ event: 'leader-change', leader, term }));
  replica.on('error', (err) => out({ event: 'error', message: err.message }));
  replica.on('snapshot', (kind, index) => out({ event: 'snapshot', kind, index }));

  const watches = new Map<number, () => void>();
  const handle = async (r: Request): Promise<unknown> => {
    // A request's deadline, as an etcd client's context gives it: past it the request fails with
    // `ERR_TIMEOUT` (a write may still happen, so the caller must treat it as unknown).
    const ms = typeof r.timeoutMs === 'number' && r.timeoutMs > 0 ? Math.ceil(r.timeoutMs) : undefined;
    const opts: RequestOptions = ms === undefined ? {} : { timeoutMs: ms };
    const key = r.key ?? '';
    switch (r.op) {
      case 'put':
        return put(kv, key, r.value ?? '', opts);
      case 'delete':
        return del(kv, key, opts);
      case 'cas':
        return cas(kv, key, r.expected ?? null, r.value ?? '', opts);
      case 'get':
        await replica.read(opts);
        return { value: await getLocal(kv, key) };
      case 'dump':
        await replica.read(opts);
        return dumpLocal(kv);
      case 'watch': {
        const w = watch(
          kv,
          { key, prefix: r.prefix === true, startRevision: r.startRevision, progressNotify: r.progressNotify },
          (watchId, events, b) => out({ event: 'watch', watchId, revision: b.revision, events, ...(b.progress ? { progress: true } : {}) }),
          (watchId, reason) => {
            watches.delete(watchId);
            out({ event: 'watch', watchId, canceled: true, reason });
          },
        );
        watches.set(w.watchId, w.requestProgress);
        return { watchId: w.watchId, startRevision: w.startRevision };
      }
      case 'progress':
        watches.get(r.watchId ?? -1)?.();
        return { watchId: r.watchId };
      case 'snapshot': {
        const status = await kv.maintenance.saveSnapshot(r.path ?? '');
        return { path: r.path, ...status };
      }
      case 'isolate':
        transport.isolated = r.on === true;
        return { isolated: transport.isolated };
      case 'status': {
        const s = replica.status();
        const base = { id: s.id, leader: s.leader, term: s.term, role: s.role, roleName: s.roleName, commit: s.commit, applied: s.applied, isolated: transport.isolated };
        if (r.detail !== true) return base;
        const refused = (await replica.metricsJSON())['raft_messages_refused_total'];
        return {
          ...base,
          lifecycle: s.lifecycle,
          progress: s.progress === undefined ? null : Object.fromEntries(s.progress),
          transport: Object.fromEntries(transport.stats()),
          refused: refused ?? null,
        };
      }
    }
  };
  const rl = createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    let r: Request;
    try {
      r = JSON.parse(line) as Request;
    } catch {
      out({ event: 'error', message: `malformed request: ${line}` });
      return;
    }
    handle(r).then(
      (result) => out({ req: r.req, ok: true, result: result ?? null }),
      (err: unknown) => out({ req: r.req, ok: false, code: (err as RaftkitError).code ?? 'ERR_UNKNOWN', message: String(err) }),
    );
  });
  rl.on('close', () => {
    void replica.stop().then(() => process.exit(0));
  });
  out({ event: 'started', id });
}

main().catch((err: unknown) => {
  out({ event: 'fatal', message: String(err) });
  process.exit(1);
});
