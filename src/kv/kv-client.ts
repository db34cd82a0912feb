import { RaftkitError } from '../errors.js';
import type { Replica } from '../replica/replica.js';
import { encodeCommand } from './commands.js';
import type { KvCommand } from './commands.js';
import { KvStateMachine } from './kv-state-machine.js';
import type { KvResult } from './kv-state-machine.js';
import { LeaseClient } from './lease-client.js';
import { isReadOnlyTxn, readOnlyTxn } from './mvcc/apply.js';
import { compareBytes, prefixEnd, toBytes } from './mvcc/bytes.js';
import { EmptyWatchRangeError } from './errors.js';
import { DEFAULT_MAX_TXN_OPS, checkDelete, checkPut, checkRange, checkTxn } from './mvcc/check.js';
import { range, rangeNow } from './mvcc/range.js';
import type { Lessor } from './lease/lessor.js';
import type { WatchHub } from './watch/watch-hub.js';
import type { AlarmsClient } from './alarms/alarms-client.js';
import type { ClusterClient } from './cluster/cluster-client.js';
import type { KvMetrics } from './kv-metrics.js';
import type { MaintenanceClient } from './maintenance/maintenance-client.js';
import { createLiveParts, type KvLiveOptions } from './kv-live.js';
import { ReadBarrier } from './read-barrier.js';
import { splitRequestOptions, type KvRequestOptions } from './request-options.js';
import type { WatchOptions } from './watch/types.js';
import type { Watcher } from './watch/watcher.js';
import type {
  Bytes,
  CompactionResponse,
  DeleteRangeRequest,
  DeleteRangeResponse,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  ResponseHeader,
  TxnRequest,
  TxnResponse,
} from './types.js';

/** Options of a {@link KvClient}. */
export interface KvClientOptions extends KvLiveOptions {
  /** The most operations one txn may hold (etcd's `--max-txn-ops`). Default 128. */
  maxTxnOps?: number | undefined;
  /** The cluster id put in response headers. Default 0n. */
  clusterId?: bigint | undefined;
  /**
   * This member's name, published through Raft (with `clientUrls`) so that `memberList` on every
   * member shows it, as etcd publishes its members' attributes. Default: nothing published.
   */
  name?: string | undefined;
  /** The URLs clients reach this member at, published with `name`. */
  clientUrls?: readonly string[] | undefined;
}

/** `range` options: a {@link RangeRequest} without its key, plus `prefix` (rangeEnd = the prefix's end) and the {@link KvRequestOptions}. */
export type RangeOptions = Omit<RangeRequest, 'key'> & KvRequestOptions & {
  /** Every key starting with `key` (sets `rangeEnd`). */
  prefix?: boolean | undefined;
};

/** `deleteRange` options: a {@link DeleteRangeRequest} without its key, plus `prefix` and the {@link KvRequestOptions}. */
export type DeleteRangeOptions = Omit<DeleteRangeRequest, 'key'> & KvRequestOptions & {
  /** Every key starting with `key` (sets `rangeEnd`). */
  prefix?: boolean | undefined;
};

/** `put` options: a {@link PutRequest} without key and value, plus the {@link KvRequestOptions}. */
export type PutOptions = Omit<PutRequest, 'key' | 'value'> & KvRequestOptions;

/** `compact` options: `physical` plus the {@link KvRequestOptions}. */
export type CompactOptions = KvRequestOptions & {
  /** Wait until the compacted records are deleted from the backend. Default false. */
  physical?: boolean | undefined;
};

/** The replica does not run a {@link KvStateMachine}. Code `ERR_KV_NOT_KV_STATE_MACHINE`. */
export class NotKvStateMachineError extends RaftkitError {
  constructor() {
    super('ERR_KV_NOT_KV_STATE_MACHINE', 'KvClient needs a replica started with a KvStateMachine');
  }
}

/**
 * The client of `raftkit/kv` on one member: writes go through Raft (from any member), reads are
 * linearizable by default (a ReadIndex barrier, then a local read) or, with `serializable: true`,
 * local. Requests are validated as etcd's gRPC layer does before anything is proposed, and
 * failures reject with the `KvError` of etcd's text. Every request that goes through Raft or a
 * read barrier takes the {@link KvRequestOptions} (`timeoutMs`, `waitForLeader`, `signal`), in its
 * options object or as a trailing argument.
 */
export class KvClient {
  /** The replica written through. */
  readonly replica: Replica;
  /** The replica's KV state machine. */
  readonly stateMachine: KvStateMachine;
  /** Lease operations. */
  readonly lease: LeaseClient;
  /** This member's watchers. */
  readonly watches: WatchHub;
  /** This member's lease liveness (one per state machine, shared by its clients). */
  readonly lessor: Lessor;
  /** This member's KV metrics (on the replica's registry). */
  readonly metrics: KvMetrics;
  /** Alarms and the backend quota. */
  readonly alarms: AlarmsClient;
  /** Status, hashKV, defragment. */
  readonly maintenance: MaintenanceClient;
  /** Membership (etcd's `Cluster` service). */
  readonly cluster: ClusterClient;
  private readonly maxTxnOps: number;
  private readonly clusterId: bigint;
  private readonly memberId: bigint;
  private readonly barrier: ReadBarrier;

  /**
   * @param replica - a replica started with a {@link KvStateMachine}.
   * @param options - limits and header fields.
   * @throws {@link NotKvStateMachineError}
   */
  constructor(replica: Replica, options: KvClientOptions = {}) {
    if (!(replica.stateMachine instanceof KvStateMachine)) throw new NotKvStateMachineError();
    this.replica = replica;
    this.stateMachine = replica.stateMachine;
    this.stateMachine.registerMetrics(replica.metricsRegistry);
    this.maxTxnOps = options.maxTxnOps ?? DEFAULT_MAX_TXN_OPS;
    this.clusterId = options.clusterId ?? 0n;
    this.memberId = BigInt(replica.id);
    this.lease = new LeaseClient(this);
    ({ watches: this.watches, lessor: this.lessor, metrics: this.metrics, alarms: this.alarms, maintenance: this.maintenance, cluster: this.cluster } = createLiveParts(this, options));
    this.barrier = new ReadBarrier((signal) => replica.read({ signal }), this.lessor.clock, () => replica.status().leader !== 0);
    if (options.name !== undefined || options.clientUrls !== undefined) {
      this.published = this.cluster.publish({ name: options.name ?? '', clientUrls: [...(options.clientUrls ?? [])] }, this.lessor.clock);
    }
  }

  /** Resolves once this member's `name` and `clientUrls` are published (`false`: the replica stopped first); `true` at once when there is nothing to publish. */
  readonly published: Promise<boolean> = Promise.resolve(true);

  /**
   * Watches a key or range (etcd's `Watch`): an async iterable of batches of events, served by
   * this member from its own applied state. See {@link WatchOptions}.
   *
   * @throws {@link EmptyWatchRangeError} when `rangeEnd` is set and not above `key` (as etcd refuses such a watch).
   */
  watch(key: Bytes, options: WatchOptions = {}): Watcher {
    const k = toBytes(key);
    const rangeEnd = options.prefix === true ? prefixEnd(k) : toBytes(options.rangeEnd);
    const fromKey = rangeEnd.length === 1 && rangeEnd[0] === 0;
    if (rangeEnd.length > 0 && !fromKey && compareBytes(k, rangeEnd) >= 0) throw new EmptyWatchRangeError();
    return this.watches.watch(k, rangeEnd, options);
  }

  /**
   * Waits for a linearizable read barrier (a Raft ReadIndex confirmed by a quorum, then applied
   * here); concurrent callers share one round ({@link ReadBarrier}), each bounded by its own `options`.
   *
   * @internal
   */
  readBarrier(options: KvRequestOptions = {}): Promise<void> {
    return this.barrier.wait(options);
  }

  /** Fills a response header with this member's ids and term. */
  header(revision: number): ResponseHeader {
    return { clusterId: this.clusterId, memberId: this.memberId, revision, raftTerm: this.replica.currentTerm };
  }

  /**
   * Proposes a command and returns its response with the header filled.
   *
   * @internal
   */
  async propose<T extends { header: ResponseHeader }>(cmd: KvCommand, options: KvRequestOptions = {}): Promise<T> {
    const r = (await this.replica.propose(encodeCommand(cmd), options)) as KvResult;
    if (!r.ok) throw r.error;
    const resp = r.response as T;
    resp.header = this.header(resp.header.revision);
    return resp;
  }

  /** Writes a key (etcd's `Put`). */
  async put(key: Bytes, value: Bytes, options: PutOptions = {}): Promise<PutResponse> {
    const [rest, opts] = splitRequestOptions(options);
    return this.putRequest({ ...rest, key: toBytes(key), value: toBytes(value) }, opts);
  }

  /**
   * {@link KvClient.put} from a whole request (key and value as bytes, no other fields) and request
   * options already checked: what raftkit/etcd's server calls with a request it decoded.
   * @internal
   */
  async putRequest(req: PutRequest & { key: Uint8Array; value: Uint8Array }, options: KvRequestOptions): Promise<PutResponse> {
    checkPut(req);
    await this.alarms.checkQuota(req.key.length + req.value.length);
    return this.propose({ op: 'put', req }, options);
  }

  /** Reads a key or range (etcd's `Range`); linearizable unless `serializable`. */
  async range(key: Bytes, options: RangeOptions = {}): Promise<RangeResponse> {
    const [{ prefix, ...rest }, opts] = splitRequestOptions(options);
    const k = toBytes(key);
    return this.rangeRequest({ ...rest, key: k, rangeEnd: prefix === true ? prefixEnd(k) : toBytes(rest.rangeEnd) }, opts);
  }

  /**
   * {@link KvClient.range} from a whole request (key and range end as bytes) and request options
   * already checked: what raftkit/etcd's server calls with a request it decoded.
   * @internal
   */
  async rangeRequest(req: RangeRequest & { key: Uint8Array; rangeEnd: Uint8Array }, options: KvRequestOptions): Promise<RangeResponse> {
    checkRange(req);
    const started = performance.now();
    try {
      if (req.serializable !== true) await this.readBarrier(options);
      const store = this.stateMachine.store;
      store.ops.ranges++;
      const view = store.readView();
      // After the barrier, values in memory are read without another promise.
      const resp = rangeNow(view, req) ?? (await range(view, req));
      resp.header = this.header(resp.header.revision);
      return resp;
    } finally {
      // Timed as etcd times a read-only request, its wait for the read index included (a slow one is counted).
      this.replica.observeRead(performance.now() - started);
    }
  }

  /**
   * A serializable {@link KvClient.rangeRequest} answered at once (no promise, no turn of the
   * microtask queue) when every value it returns is in memory; undefined for a linearizable
   * request or one that needs a backend read, which then goes through `rangeRequest` (counted
   * there, not here). Throws what `rangeRequest` rejects with.
   * @internal
   */
  rangeNow(req: RangeRequest & { key: Uint8Array; rangeEnd: Uint8Array }): RangeResponse | undefined {
    if (req.serializable !== true) return undefined;
    checkRange(req);
    const started = performance.now();
    const resp = rangeNow(this.stateMachine.store.readView(), req);
    if (resp === undefined) return undefined;
    this.replica.observeRead(performance.now() - started);
    this.stateMachine.store.ops.ranges++;
    resp.header = this.header(resp.header.revision);
    return resp;
  }

  /** Deletes a key or range (etcd's `DeleteRange`). */
  deleteRange(key: Bytes, options: DeleteRangeOptions = {}): Promise<DeleteRangeResponse> {
    const [{ prefix, ...rest }, opts] = splitRequestOptions(options);
    const k = toBytes(key);
    const req: DeleteRangeRequest = { ...rest, key: k, rangeEnd: prefix === true ? prefixEnd(k) : toBytes(rest.rangeEnd) };
    checkDelete(req);
    return this.propose({ op: 'deleteRange', req }, opts);
  }

  /**
   * Runs a txn (etcd's `Txn`). A txn that only reads is served locally after a read barrier
   * (none when all its ranges are serializable), as etcd does; others go through Raft.
   */
  async txn(req: TxnRequest, options: KvRequestOptions = {}): Promise<TxnResponse> {
    const opts = splitRequestOptions(options)[1];
    checkTxn(req, this.maxTxnOps);
    if (!isReadOnlyTxn(req)) {
      await this.alarms.checkQuota(0);
      return this.propose({ op: 'txn', req }, opts);
    }
    const started = performance.now();
    try {
      if (!allSerializable(req)) await this.readBarrier(opts);
      const resp = await readOnlyTxn(this.stateMachine.store.readView(), req, this.stateMachine.store.ops);
      resp.header = this.header(resp.header.revision);
      return resp;
    } finally {
      this.replica.observeRead(performance.now() - started);
    }
  }

  /** Compacts history before `revision` (etcd's `Compact`); `physical` waits until the records are deleted. */
  async compact(revision: number, options: CompactOptions = {}): Promise<CompactionResponse> {
    const [{ physical }, opts] = splitRequestOptions(options);
    const started = performance.now();
    const r = (await this.replica.propose(encodeCommand({ op: 'compact', req: { revision, physical: physical ?? false } }), opts)) as KvResult;
    if (!r.ok) throw r.error;
    if (physical === true) await r.physical;
    this.metrics.compactionDuration.observe(performance.now() - started);
    const resp = r.response as CompactionResponse;
    resp.header = this.header(resp.header.revision);
    return resp;
  }
}

function allSerializable(t: TxnRequest): boolean {
  return [...(t.success ?? []), ...(t.failure ?? [])].every((op) => ('requestRange' in op ? op.requestRange.serializable === true : !('requestTxn' in op) || allSerializable(op.requestTxn)));
}
