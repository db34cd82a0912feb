import { existsSync, openSync, readdirSync, readFileSync, statSync, writeSync } from 'node:fs';
import { getHeapSpaceStatistics } from 'node:v8';
import { KvClient } from '../../kv/kv-client.js';
import { KvStateMachine } from '../../kv/kv-state-machine.js';
import { KvSnapshots } from '../../kv/etcd-backend/snapshots.js';
import { DataInconsistencyError, type CorruptionCheckReport } from '../../kv/maintenance/corruption-check.js';
import { RaftkitError } from '../../errors.js';
import { Replica } from '../../replica/replica.js';
import { forceNewCluster } from '../../replica/force-new-cluster.js';
import { readIdentity, resolveIdentity, writeIdentity } from './identity.js';
import type { PeerAddress } from '../../replica/membership.js';
import { LevelStorage } from '../../storage/level-storage.js';
import { WalStorage } from '../../storage/wal/wal-storage.js';
import type { Storage } from '../../storage/storage.js';
import type { AnyLevel } from '../../storage/level-load.js';
import { memberDataPaths } from '../../kv/etcd-backend/restore-command.js';
import { join } from 'node:path';
import { TcpTransport } from '../../transport/tcp.js';
import type { HttpEndpointSource } from '../http.js';
import { observeGc } from '../gc-metrics.js';
import { observeProcess } from '../process-metrics.js';
import { clusterIdFor, memberIdFor, peerAddress, type MemberInfo } from '../members.js';
import { EtcdServer } from '../server.js';
import type { MemberConfig } from './flags.js';
import { invalidValue } from './flag-error.js';
import { clientTlsOptions, peerTlsOptions } from './tls-options.js';
import { specOf } from './flag-table.js';

const LEVELS = ['debug', 'info', 'warn', 'error', 'panic', 'fatal'];

/** A structured logger writing etcd-like JSON lines to stderr at or above `level`. */
export type Log = (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;

/**
 * A {@link Log} to `write` honouring `--log-level`, in `--log-format`: JSON lines, or zap's
 * console lines (time, level, message and the fields as JSON, tab-separated).
 */
export function jsonLog(level: string, write: (line: string) => void, format: 'json' | 'console' = 'json'): Log {
  const min = LEVELS.indexOf(level);
  return (l, msg, fields = {}) => {
    if (LEVELS.indexOf(l) < min) return;
    const ts = new Date().toISOString();
    if (format === 'json') return write(`${JSON.stringify({ level: l, ts, msg, ...fields })}\n`);
    write(`${[ts, l.toUpperCase(), msg, ...(Object.keys(fields).length === 0 ? [] : [JSON.stringify(fields)])].join('\t')}\n`);
  };
}

/**
 * Writes a log line to each of `--log-outputs`' targets: `stderr`, `stdout`, or a file, opened
 * once to append (lines are written whole, in order).
 *
 * @throws FlagError naming `log-outputs` when a file cannot be opened.
 */
export function logWriter(targets: readonly string[]): (line: string) => void {
  const writers = targets.map((t): ((line: string) => void) => {
    if (t === 'stderr') return (line) => process.stderr.write(line);
    if (t === 'stdout') return (line) => process.stdout.write(line);
    let fd: number;
    try {
      fd = openSync(t, 'a');
    } catch (e) {
      throw invalidValue('log-outputs', t, `cannot open it to append: ${(e as Error).message}`);
    }
    return (line) => writeSync(fd, line);
  });
  return (line) => {
    for (const w of writers) w(line);
  };
}

/** A running member process's parts. */
export interface RunningMember {
  /** The replica. */
  replica: Replica;
  /** The gRPC server. */
  server: EtcdServer;
  /** The answers of etcd's HTTP endpoints (`/metrics`, `/health`), served by the command's main thread. */
  endpoints: HttpEndpointSource;
  /** Resolves when this member was removed from the cluster (its replica then stops; the process should exit). */
  removed: Promise<void>;
  /** Stops compaction, gRPC and the replica, in that order. */
  close(): Promise<void>;
}

/**
 * Starts one member as etcd does from its flags: storage in `--data-dir`, the peer transport on
 * every `--listen-peer-urls` URL (TLS with the `--peer-*` files), a new cluster from `--initial-cluster` or
 * (`--initial-cluster-state existing`) a join of the running one, the gRPC API on every
 * `--listen-client-urls` (with the client HTTP too, unless `--listen-client-http-urls` serve it),
 * and the answers of etcd's HTTP endpoints (which the command's main
 * thread serves on `--listen-metrics-urls`, see endpoint-bridge.ts).
 */
export async function runMember(c: MemberConfig, log: Log): Promise<RunningMember> {
  // The --initial-* flags count at the first start (or `raftkit restore`): afterwards the data dir's.
  const stored = readIdentity(c.dataDir);
  const identity = resolveIdentity(c, stored, (flag, given, kept) => log('warn', "flag ignored: the member's data dir keeps the value of its first start", { flag, given, kept }));
  const name = stored !== undefined && !c.explicitFlags.has('name') ? stored.name : c.name;
  const token = identity.initialClusterToken;
  const idOf = (urls: readonly string[]): number => memberIdFor(urls, token);
  const id = idOf(identity.initialAdvertisePeerUrls);
  const initialCluster = Object.entries(identity.initialCluster);
  const peers: PeerAddress[] = initialCluster.map(([, urls]) => ({ id: idOf(urls), address: peerAddress(urls[0]!) }));
  const names = new Map<number, MemberInfo>(initialCluster.map(([n, urls]) => [idOf(urls), { name: n, clientUrls: [] }]));
  const read = (f: string): string => readFileSync(f, 'utf8');
  const [listen, ...alsoListen] = c.listenPeerUrls.map((u) => new URL(u)) as [URL, ...URL[]];
  const peerTls = peerTlsOptions(c, read);
  // Only a member that starts with data of its own checks it against its peers (etcd's memberInitialized).
  // As etcd warns at start in this mode.
  if (c.unsafeNoFsync) log('warn', 'non-fsync mode enabled (--unsafe-no-fsync): unsafe, data will be lost if the machine crashes');
  const { storage, kvDb, closeKvDb, initialized } = await openDataDir(c.dataDir, c.walDir, { noSync: c.unsafeNoFsync });
  if (c.forceNewCluster && initialized) {
    // etcd's restartAsStandaloneNode: this member alone, with the data it holds.
    const forced = await forceNewCluster(storage, id);
    log('warn', 'forcing restart of member as a single-member cluster', { 'local-member-id': id.toString(16), 'removed-member-ids': forced.removed.map((m) => m.toString(16)), commit: forced.commit });
  }
  const transport = new TcpTransport({ id, host: listen.hostname, port: Number(listen.port), alsoListen: alsoListen.map((u) => ({ host: u.hostname, port: Number(u.port) })), clusterId: token, reusePort: c.socketReusePort, ...(peerTls === undefined ? {} : { tls: peerTls }) });
  const heartbeatTick = 1;
  // --backend-batch-interval/--backend-batch-limit: one synced write of the KV's database per
  // interval at most, or per limit operations. The Raft log is the record (the KV applies again
  // from it after a crash), and fewer KV flushes leave the disk to the log's.
  // The Raft snapshot every --snapshot-count entries holds no KV (as etcd's): the KV's own
  // database is the state, flushed first; it is read only when a member needs a snapshot.
  const stateMachine = new KvStateMachine({
    db: kvDb, electionMs: c.electionMs, backendBatchIntervalMs: c.backendBatchIntervalMs, backendBatchLimit: c.backendBatchLimit, snapshotByReference: true,
    compactionBatchLimit: c.compactionBatchLimit, compactionSleepIntervalMs: c.compactionSleepMs, noSync: c.unsafeNoFsync,
  });
  const replica = await Replica.start({
    id, storage, transport, stateMachine,
    ...(identity.initialClusterState === 'new' ? { peers } : { join: peers.filter((p) => p.id !== id) }),
    tickMs: c.heartbeatMs, heartbeatTick, electionTick: Math.max(2, Math.round(c.electionMs / c.heartbeatMs)),
    snapshotEvery: snapshotCount(c, log), compactionTail: c.snapshotCatchupEntries, maxPendingApply: 5000, preVote: c.preVote, strictReconfigCheck: c.strictReconfigCheck,
    warningApplyMs: c.warningApplyMs,
    // etcd fast-forwards a single-member cluster's election at every start, whatever --initial-election-tick-advance says.
    initialElectionTickAdvance: c.initialElectionTickAdvance ? true : 'lone-voter',
    // etcd's HealthInterval: a voter counts toward the quorum a member add or remove must keep
    // only after 5 s connected (etcdserver isConnectedSince).
    healthIntervalMs: 5000,
  });
  // Recorded once the member has started on it: a first start that fails (a port in use, a wrong
  // flag) can be retried with other flags.
  if (stored === undefined) writeIdentity(c.dataDir, identity);
  replica.on('leader-change', (leader, term) => log('info', 'leader changed', { leader: leader.toString(16), term }));
  replica.on('error', (e) => log('error', 'replica error', { error: e.message }));
  transport.on('error', (e) => log('warn', 'peer transport', { error: e.message }));
  // From the token alone, so a member joining later computes the same id (etcd hashes the initial member ids).
  const clusterId = clusterIdFor([], token);
  const quotaBackendBytes = c.quotaBackendBytes === 0 ? 2 * 1024 ** 3 : c.quotaBackendBytes;
  if (quotaBackendBytes < 0) log('info', 'disabled backend quota', { 'quota-name': 'v3-applier', 'quota-size-bytes': quotaBackendBytes });
  // name and clientUrls are published through Raft (as etcd publishes its attributes at start), so
  // `member list` and `endpoint status --cluster` on any member show every member's client URLs.
  const kv = new KvClient(replica, { clusterId, maxTxnOps: c.maxTxnOps, quotaBackendBytes, watch: { progressIntervalMs: c.progressNotifyMs }, name, clientUrls: c.advertiseClientUrls });
  const clientTls = clientTlsOptions(c, read);
  const server = new EtcdServer({
    replica, kv, snapshots: new KvSnapshots(replica, stateMachine, { db: kvDb }), clusterId, name, advertiseClientUrls: c.advertiseClientUrls, members: names, clusterToken: token,
    peerScheme: peerTls === undefined ? 'http' : 'https', maxRequestBytes: c.maxRequestBytes, maxTxnOps: c.maxTxnOps, maxLearners: c.maxLearners,
    quotaBackendBytes, electionTimeoutMs: c.electionMs, jsonGateway: c.jsonGateway, handlingTimeHistogram: c.handlingTimeHistogram, cors: c.cors, hostWhitelist: c.hostWhitelist, ...grpcConnectionOptions(c),
    grpcOnly: c.listenClientHttpUrls.length > 0, reusePort: c.socketReusePort,
    slowUnary: { thresholdMs: c.warningUnaryRequestMs, report: (call) => log('warn', 'request stats', { 'time spent': `${call.ms.toFixed(3)}ms`, method: call.method, code: call.code }) },
    ...(clientTls === undefined ? {} : { tls: clientTls }),
  });
  if (c.initialCorruptCheck && initialized) {
    try {
      await initialCorruptCheck(kv, c, log);
    } catch (e) {
      await server.close();
      await replica.stop();
      await closeKvDb();
      throw e;
    }
  }
  if (c.bootstrapDefragThresholdMb > 0) await bootstrapDefrag(kv, c.bootstrapDefragThresholdMb, log);
  for (const u of c.listenClientUrls) log('info', 'serving client traffic', { address: await server.listen(u) });
  for (const u of c.listenClientHttpUrls) log('info', 'serving client http traffic', { address: await server.listenHttp(u) });
  const endpoints = server.endpoints;
  const stopCompaction = autoCompaction(c, replica, kv, log);
  const stopGc = observeGc(server.metrics.registry);
  observeProcess(server.metrics.registry);
  const stopCorruptCheck = c.corruptCheckMs > 0 ? kv.maintenance.startCorruptionChecks(c.corruptCheckMs, (r) => logCheck(log, r)) : () => undefined;
  // The young generation the member's heap has (its two semi-spaces), as member-thread.ts sized it.
  const youngMiB = (getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0) / 2 ** 20;
  for (const f of c.ignoredFlags) log('warn', `flag "-${f}" is no longer supported - ignoring.`);
  for (const [name, value] of c.usedEnv) log('info', 'recognized and used environment variable', { 'variable-name': name, 'variable-value': value });
  for (const v of c.unrecognizedEnv) log('warn', 'unrecognized environment variable', { 'environment-variable': v });
  if (c.configIgnored.length > 0) log('warn', 'config file settings ignored (raftkit has no such setting)', { keys: c.configIgnored });
  log('info', 'member started', { name, id: id.toString(16), cluster: clusterId.toString(16), heapNewSpaceMiB: youngMiB, 'pre-vote': c.preVote });
  const removed = new Promise<void>((resolve) => {
    replica.on('member-removed', (gone) => {
      if (gone === id) resolve();
    });
  });
  return {
    replica,
    server,
    endpoints,
    removed,
    async close() {
      stopCompaction();
      stopCorruptCheck();
      stopGc();
      await server.close();
      await replica.stop();
      await closeKvDb();
    },
  };
}

/**
 * `--experimental-initial-corrupt-check` (etcd's `CheckInitialHashKV`), before the member serves
 * clients: every other member compares this member's HashKV with its own. A member that differs
 * fails the start; members that did not answer or had compacted differently are logged, as etcd
 * logs them, and do not.
 */
async function initialCorruptCheck(kv: KvClient, c: MemberConfig, log: Log): Promise<void> {
  const timeoutMs = 5000 + 2 * c.electionMs;
  log('info', 'starting initial corruption check', { 'local-member-id': kv.replica.id.toString(16), timeout: `${timeoutMs}ms` });
  try {
    logCheck(log, await kv.maintenance.initialCorruptCheck({ timeoutMs }));
  } catch (e) {
    if (e instanceof DataInconsistencyError) logCheck(log, e.report);
    throw e;
  }
}

/**
 * `--bootstrap-defrag-threshold-megabytes` (etcd's `maybeDefragBackend`): before the member serves
 * clients, defragments its database if that would free at least `thresholdMb` MiB (the database's
 * size less what its live records take).
 * @internal
 */
export async function bootstrapDefrag(kv: Pick<KvClient, 'maintenance'>, thresholdMb: number, log: Log): Promise<void> {
  const { dbSize, dbSizeInUse } = await kv.maintenance.status();
  const free = dbSize - dbSizeInUse;
  const fields = { 'current-db-size-bytes': dbSize, 'current-db-size-in-use-bytes': dbSizeInUse, 'defrag-threshold-bytes': thresholdMb * 2 ** 20 };
  if (free < thresholdMb * 2 ** 20) return log('info', 'skipping defragmentation', fields);
  const done = await kv.maintenance.defragment();
  log('info', 'defragmented the backend at start', { ...fields, 'size-before': done.sizeBefore, 'size-after': done.sizeAfter });
}

/** Logs a corruption check's report (or a periodic check's failure) with etcd's messages. */
function logCheck(log: Log, r: CorruptionCheckReport | Error): void {
  if (r instanceof Error) return log('warn', 'failed to check corruption', { error: r.message });
  const at = { 'local-member-id': r.memberId.toString(16), 'local-member-revision': r.revision, 'local-member-compact-revision': r.compactRevision, 'local-member-hash': r.hash };
  for (const id of r.mismatched) log('error', 'found different hash values from remote peer', { ...at, 'remote-peer-id': id.toString(16) });
  for (const id of r.skipped) log('warn', 'found different compact revision values from remote peer', { ...at, 'remote-peer-id': id.toString(16) });
  for (const id of r.unanswered) log('warn', 'failed hash kv request', { ...at, 'remote-peer-id': id.toString(16) });
  if (r.mismatched.length === 0) log('info', 'corruption checking passed; no corruption', { ...at, 'checked-peers': r.matched.map((id) => id.toString(16)) });
}

/** `--snapshot-count`, with etcd's default for 0, which is logged as etcd logs it. */
function snapshotCount(c: MemberConfig, log: Log): number {
  if (c.snapshotCount !== 0) return c.snapshotCount;
  const updated = Number(specOf('snapshot-count').def);
  log('info', 'updating snapshot-count to default', { 'given-snapshot-count': 0, 'updated-snapshot-count': updated });
  return updated;
}

/**
 * `--max-concurrent-streams` and the keepalive flags as the server's options (etcd's defaults: no stream limit; 0 disables pings).
 * @internal
 */
export function grpcConnectionOptions(c: Pick<MemberConfig, 'maxConcurrentStreams' | 'keepaliveMinTimeMs' | 'keepaliveIntervalMs' | 'keepaliveTimeoutMs'>): { maxConcurrentStreams?: number; keepaliveIntervalMs?: number; keepaliveTimeoutMs?: number; keepaliveMinTimeMs?: number } {
  return {
    // 0 would strike every ping: the smallest interval stands for it.
    keepaliveMinTimeMs: Math.max(1, c.keepaliveMinTimeMs),
    // grpc-go takes 0 for no limit, as it takes 2^32 - 1.
    ...(c.maxConcurrentStreams === 0 || c.maxConcurrentStreams >= 2 ** 32 - 1 ? {} : { maxConcurrentStreams: c.maxConcurrentStreams }),
    // gRPC has no "off": an interval beyond any connection's life stands for 0.
    keepaliveIntervalMs: c.keepaliveIntervalMs === 0 ? 2 ** 31 - 1 : c.keepaliveIntervalMs,
    keepaliveTimeoutMs: c.keepaliveTimeoutMs === 0 ? 2 ** 31 - 1 : c.keepaliveTimeoutMs,
  };
}

/**
 * Opens a member's data dir: the Raft log in a `WalStorage` (`member/wal`, or `walDir` when
 * given: etcd's `--wal-dir`) and the KV in its own classic-level database (`member/kv`,
 * {@link memberDataPaths}). A data dir made before that layout (one LevelDB database at its root
 * holding both) is opened as it was, with `LevelStorage`. `initialized`: the member had data of
 * its own before (etcd's `memberInitialized`: its WAL holds files). `noSync`: the Raft log is
 * written without fsync (`--unsafe-no-fsync`; the KV's database is the state machine's to write).
 * @internal
 */
export async function openDataDir(dataDir: string, walDir = '', options: { noSync?: boolean } = {}): Promise<{ storage: Storage; kvDb: AnyLevel; closeKvDb: () => Promise<void>; initialized: boolean }> {
  const paths = memberDataPaths(dataDir);
  const wal = walDir === '' ? paths.wal : walDir;
  // Before anything is created in it: raftkit started on an etcd member's data dir would serve an
  // empty keyspace beside etcd's files.
  for (const dir of [dataDir, wal]) if (existsSync(dir) && !statSync(dir).isDirectory()) throw new DataDirError(dir, 'it is not a directory');
  if (isEtcdDataDir(dataDir, wal)) throw new EtcdDataDirError(dataDir);
  if (existsSync(join(dataDir, 'CURRENT'))) {
    if (walDir !== '') throw new RaftkitError('ERR_INVALID_ARGUMENT', `data-dir ${JSON.stringify(dataDir)} keeps its Raft log in its own database (raftkit's first layout): --wal-dir cannot move it`);
    const storage = await LevelStorage.open({ path: dataDir, noSync: options.noSync });
    // The storage owns the database and closes it when the replica stops.
    return { storage, kvDb: storage.db!, closeKvDb: () => Promise.resolve(), initialized: true };
  }
  // A dedicated WAL dir may exist empty (a mounted volume): only its files say the member ran.
  const initialized = existsSync(wal) && readdirSync(wal).length > 0;
  const { ClassicLevel } = await import('classic-level');
  const kvDb = new ClassicLevel<Uint8Array, Uint8Array>(paths.kv, { keyEncoding: 'view', valueEncoding: 'view' });
  try {
    await kvDb.open({ createIfMissing: true });
  } catch (e) {
    // classic-level says only "Database failed to open"; LevelDB's reason is its cause.
    const cause = (e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message;
    throw new DataDirError(paths.kv, `the member's database does not open: ${cause}`, e);
  }
  const storage = await WalStorage.open({ dir: wal, noSync: options.noSync });
  return { storage, kvDb, closeKvDb: () => kvDb.close(), initialized };
}

/**
 * `--auto-compaction-mode`/`--auto-compaction-retention` on the leader: `periodic` compacts, once
 * per retention period, to the revision the store had one period earlier; `revision` compacts every
 * five minutes to the current revision minus the retention.
 */
function autoCompaction(c: MemberConfig, replica: Replica, kv: KvClient, log: Log): () => void {
  if (c.autoCompactionRetention <= 0) return () => undefined;
  const store = kv.stateMachine.store;
  const leads = (): boolean => replica.status().leader === replica.id;
  const compact = (rev: number): void => {
    if (!leads() || rev <= Math.max(store.compactRev, 0)) return;
    kv.compact(rev).then(() => log('info', 'compacted', { revision: rev }), (e: unknown) => log('warn', 'auto compaction failed', { error: String(e) }));
  };
  let timer: NodeJS.Timeout;
  if (c.autoCompactionMode === 'periodic') {
    let previous = store.visibleRev;
    timer = setInterval(() => {
      compact(previous);
      previous = store.visibleRev;
    }, c.autoCompactionRetention);
  } else {
    timer = setInterval(() => compact(store.visibleRev - c.autoCompactionRetention), 5 * 60_000);
  }
  timer.unref();
  return () => clearInterval(timer);
}

/** etcd's WAL file names (`<seq>-<index>.wal`, 16 hex digits each); raftkit's have one number. */
const ETCD_WAL_FILE = /^[0-9a-f]{16}-[0-9a-f]{16}\.wal$/;

/** Whether `dataDir` (with its WAL in `wal`) holds an etcd member's data: its backend (`member/snap/db`) or its WAL. */
function isEtcdDataDir(dataDir: string, wal: string): boolean {
  if (existsSync(join(dataDir, 'member', 'snap', 'db'))) return true;
  return existsSync(wal) && readdirSync(wal).some((f) => ETCD_WAL_FILE.test(f));
}

/**
 * `--data-dir` holds an etcd member's data (`etcdctl snapshot restore` made it, or an etcd member
 * ran there). Code `ERR_ETCD_DATA_DIR`. The member does not start, and nothing is written there;
 * the message says how to move the keys to a raftkit member.
 */
export class EtcdDataDirError extends RaftkitError {
  /** @param dataDir - the data dir. */
  constructor(dataDir: string) {
    super('ERR_ETCD_DATA_DIR', `data-dir ${JSON.stringify(dataDir)} holds an etcd member's data (member/snap/db, etcd's WAL), which raftkit does not run on; to move its keys to a raftkit member: raftkit restore ${join(dataDir, 'member', 'snap', 'db')} --skip-hash-check --data-dir <an empty dir>`);
  }
}

/**
 * A member's data dir (or its WAL dir) cannot be used: a path in it is not a directory, or its
 * database does not open. Code `ERR_DATA_DIR`; the message starts as etcd's ("error listing data
 * dir: <path>") and says why.
 */
export class DataDirError extends RaftkitError {
  /**
   * @param path - the path at fault.
   * @param reason - why it cannot be used.
   * @param cause - the underlying error, if any.
   */
  constructor(path: string, reason: string, cause?: unknown) {
    super('ERR_DATA_DIR', `error listing data dir: ${path}: ${reason}`, cause === undefined ? undefined : { cause });
  }
}
