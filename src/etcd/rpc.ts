import { status as Status, type handleBidiStreamingCall, type handleServerStreamingCall, type handleUnaryCall, type sendUnaryData, type UntypedHandleCall } from '@grpc/grpc-js';
import type { RequestOptions } from '../replica/options.js';
import type { Replica } from '../replica/replica.js';
import { etcdError, grpcError, toGrpcError, type GrpcError } from './errors.js';
import type { GrpcMetrics , MetadataReader } from './grpc-metrics.js';
import { AbortPool } from './abort-pool.js';
import { MalformedRequest } from './unmarshal-error.js';
import { flushTrailersEarly } from './trailer-flush.js';

/** `etcdserverpb.ResponseHeader` as it goes on the wire (64-bit fields as decimal strings). */
export interface WireHeader {
  /** The cluster id. */
  clusterId: string;
  /** The answering member's id. */
  memberId: string;
  /** The store revision. */
  revision: string;
  /** The Raft term. */
  raftTerm: string;
}

/**
 * What every RPC handler of the server reads: the replica, the settings, the leader as last
 * seen, response headers and request sizes.
 * @internal
 */
/**
 * etcd's `grpcOverheadBytes`: what its gRPC limits add to `--max-request-bytes` (the server's
 * receive limit, and the size at which the Watch service fragments a response).
 * @internal
 */
export const GRPC_OVERHEAD_BYTES = 512 * 1024;

export interface RpcContext {
  /** The replica served. */
  replica: Replica;
  /** The cluster id reported in headers. */
  clusterId: bigint;
  /** The largest write request accepted, in bytes. */
  maxRequestBytes: number;
  /** The most operations one txn may hold. */
  maxTxnOps: number;
  /** How long a stream under `hasleader` survives without a leader, in milliseconds. */
  leaderLossMs: number;
  /** The leader this member knows of (0 = none). */
  leader(): number;
  /** The gRPC statistics. */
  grpc: GrpcMetrics;
  /** A response header at `revision` (the store's current revision when omitted). */
  header(revision?: number): WireHeader;
  /** The encoded size of a request, as received (undefined when its method's sizes are not recorded). */
  requestBytes(request: object): number | undefined;
}

/** A call's request metadata, as handlers read it: the values of one key (grpc-js's `Metadata` is one). */
export interface CallMetadata {
  /** The values of `key` (none when absent). */
  get(key: string): (string | Buffer)[];
}

/**
 * What a unary handler reads of its call: grpc-js's `ServerUnaryCall` is one, and so is a call
 * answered on its own HTTP/2 stream (unary-path.ts).
 * @internal
 */
export interface UnaryCall<Req> {
  /** The decoded request. */
  readonly request: Req;
  /** The request metadata. */
  readonly metadata: CallMetadata;
  /** Whether the client has cancelled the call. */
  readonly cancelled: boolean;
  /** The call's deadline (a date, or epoch milliseconds; Infinity without one). */
  getDeadline(): Date | number;
  /** Calls `listener` once, when the client cancels the call. */
  once(event: 'cancelled', listener: () => void): unknown;
  /** Removes a `cancelled` listener. */
  off(event: 'cancelled', listener: () => void): unknown;
}

/** A unary handler as {@link unary} makes it: it takes grpc-js's calls and the direct path's. */
export type UnaryHandler<Req, Res> = (call: UnaryCall<Req>, callback: sendUnaryData<Res>) => void;

/** Whether the call carries etcd's `hasleader: true` metadata (clientv3's `WithRequireLeader`). */
export function requiresLeader(metadata: CallMetadata): boolean {
  for (const v of metadata.get('hasleader')) if (String(v) === 'true') return true;
  return false;
}

/**
 * The request options a unary call carries, as etcd's server takes them from the call's context:
 * its gRPC deadline bounds the request (`timeoutMs`: the time left, at least 1 ms; a request
 * still waiting then fails as etcd's does, "etcdserver: request timed out", while the client has
 * already seen DEADLINE_EXCEEDED), and `hasleader` (clientv3's `WithRequireLeader`) makes it fail
 * at once instead of waiting for a leader (`waitForLeader: false`, "etcdserver: no leader").
 */
export function callOptions(call: UnaryCall<unknown>, deadline = deadlineOf(call)): RequestOptions {
  const options: RequestOptions = {};
  // No clock read for the calls without a deadline (most clients' and the bench's).
  if (deadline !== Infinity) {
    const left = deadline - Date.now();
    if (Number.isFinite(left)) options.timeoutMs = Math.max(1, Math.ceil(left));
  }
  if (requiresLeader(call.metadata)) options.waitForLeader = false;
  return options;
}

/** The call's gRPC deadline in epoch milliseconds (Infinity without one). */
function deadlineOf(call: UnaryCall<unknown>): number {
  const deadline = call.getDeadline();
  return deadline instanceof Date ? deadline.getTime() : deadline;
}

/**
 * A unary handler: runs `fn` with the call's {@link callOptions}, answers its result or its
 * error mapped to etcd's, and counts the call. The options carry a `signal` that aborts when
 * the client cancels the call (etcd's server runs a request under the call's context, so a
 * cancelled call stops its proposal or read waiting): the request then fails with `AbortedError`,
 * counted as CANCELLED "etcdserver: request canceled". `waits(request)` false (a request that
 * waits for nothing cancellable, such as a serializable Range) leaves the signal out, and its cost;
 * a handler that waits for nothing cancellable at all is registered with {@link unaryNoCancel}
 * instead: an explicit choice at registration, never guessed from the handler's parameters
 * (a default or rest parameter would hide them). A request that came as a `MalformedRequest` (its bytes did not decode) is
 * answered with its error, uncounted. An answer's trailers leave in the event-loop turn of its
 * message (`flushTrailersEarly`, trailer-flush.ts), not one turn later.
 */
export function unary<Req, Res>(
  ctx: RpcContext, service: string, method: string, fn: (request: Req, options: RequestOptions) => Promise<Res> | Res, waits: (request: Req) => boolean = () => true,
): UnaryHandler<Req, Res> {
  const start = ctx.grpc.starter({ grpc_type: 'unary', grpc_service: service, grpc_method: method });
  // Per call, no named closures (the bench's members run under tsx, which names every one).
  return (call, callback) => {
    // Bytes that did not decode: etcd's server answers before its handler and interceptors run (not counted).
    if (call.request instanceof MalformedRequest) {
      callback(call.request.error);
      return;
    }
    const done = start(call.metadata);
    const deadline = deadlineOf(call);
    const options = callOptions(call, deadline);
    if (options.waitForLeader === false && ctx.leader() === 0) {
      answerError(etcdError('noLeader'), undefined, done, callback);
      return;
    }
    let cancel: CallCancel | undefined;
    if (waits(call.request)) {
      cancel = new CallCancel(call, deadline);
      options.signal = cancel.signal;
    }
    let result: Promise<Res> | Res;
    try {
      result = fn(call.request, options);
    } catch (e) {
      answerError(e, cancel, done, callback);
      return;
    }
    // A result that is not a promise (a Range read from memory) is answered in this turn.
    if (!isThenable(result)) {
      answerOk(result, call, cancel, done, callback);
      return;
    }
    Promise.resolve(result).then((res) => {
      answerOk(res, call, cancel, done, callback);
    }, (e: unknown) => {
      answerError(e, cancel, done, callback);
    });
  };
}

/** Whether `v` is a promise or another thenable (anything `await` would wait for). */
function isThenable<T>(v: T | PromiseLike<T>): v is PromiseLike<T> {
  return typeof v === 'object' && v !== null && typeof (v as Partial<PromiseLike<T>>).then === 'function';
}

/** Answers a unary call with `res`, after releasing its cancel signal, and counts it; its trailers leave with the message. */
function answerOk<Res>(res: Res, call: UnaryCall<unknown>, cancel: CallCancel | undefined, done: (code: Status) => void, callback: (err: null, res: Res) => void): void {
  cancel?.release();
  done(Status.OK);
  flushTrailersEarly(call);
  callback(null, res);
}

/**
 * A {@link unary} handler that never gets a cancel signal (nor pays for one): for handlers that
 * wait for nothing a cancellation could stop (Status, Hash, HashKV, Defragment, LeaseLeases).
 * They still get the call's other options (`timeoutMs`, `waitForLeader`) when they take them.
 */
export function unaryNoCancel<Req, Res>(ctx: RpcContext, service: string, method: string, fn: (request: Req, options: RequestOptions) => Promise<Res> | Res): UnaryHandler<Req, Res> {
  return unary(ctx, service, method, fn, never);
}

/** `waits` for a request that never waits for anything cancellable. */
function never(): boolean {
  return false;
}

/** Answers a unary call with `e` mapped to etcd's error, after releasing its cancel signal, and counts it. */
function answerError(e: unknown, cancel: CallCancel | undefined, done: (code: Status) => void, callback: (err: GrpcError) => void): void {
  cancel?.release();
  const err = toGrpcError(e);
  done(err.code);
  callback(err);
}

/**
 * How close to its deadline a call's cancellation is taken as the deadline passing (the client
 * resets the stream when its deadline fires, which reaches the server about when the server's
 * copy of the deadline passes); the request is then left to its `timeoutMs`, which ends it as
 * etcd's server ends a request whose context expired: "etcdserver: request timed out".
 */
const DEADLINE_SLACK_MS = 100;

/**
 * One call's cancellation: an `AbortSignal` that aborts (reason: etcd's "request canceled") when the client cancels
 * `call` before its deadline (`deadlineMs`, epoch milliseconds, or Infinity), and `release`, to
 * call once the call is answered: grpc-js emits `cancelled` when every call's stream closes,
 * answered or not, and an answered call must not build and dispatch a cancellation. `release`
 * also gives the controller back for reuse (kept only if unaborted and unlistened).
 */
class CallCancel {
  readonly signal: AbortSignal;
  private readonly controller: AbortController;
  private readonly call: UnaryCall<unknown>;
  private readonly deadlineMs: number;
  private readonly onCancelled: () => void;

  constructor(call: UnaryCall<unknown>, deadlineMs: number) {
    this.controller = aborts.take();
    this.signal = this.controller.signal;
    this.call = call;
    this.deadlineMs = deadlineMs;
    this.onCancelled = this.cancelled.bind(this);
    if (call.cancelled) this.cancelled();
    else call.once('cancelled', this.onCancelled);
  }

  /** Stops watching the call and returns the controller to the pool; called once the call is answered. */
  release(): void {
    this.call.off('cancelled', this.onCancelled);
    aborts.give(this.controller);
  }

  private cancelled(): void {
    if (this.deadlineMs - Date.now() > DEADLINE_SLACK_MS) this.controller.abort(etcdError('canceled'));
  }
}

/** The cancel signals' controllers, reused once their calls are answered (see {@link AbortPool}). */
const aborts = new AbortPool(256);

/** A handler answering `UNIMPLEMENTED` with `message` (and counting the call). */
export function unimplemented(ctx: RpcContext, service: string, method: string, type: 'unary' | 'server_stream' | 'bidi_stream', message: string): UntypedHandleCall {
  const err = (): GrpcError => grpcError(Status.UNIMPLEMENTED, message);
  if (type === 'unary') {
    return ((call, callback) => {
      ctx.grpc.start({ grpc_type: 'unary', grpc_service: service, grpc_method: method }, call.metadata)(Status.UNIMPLEMENTED);
      callback(err());
    }) satisfies handleUnaryCall<unknown, unknown>;
  }
  const stream: handleServerStreamingCall<unknown, unknown> & handleBidiStreamingCall<unknown, unknown> = (call: { metadata: MetadataReader; emit(event: 'error', e: GrpcError): boolean }) => {
    ctx.grpc.start({ grpc_type: type, grpc_service: service, grpc_method: method }, call.metadata)(Status.UNIMPLEMENTED);
    call.emit('error', err());
  };
  return stream;
}

/** Parses a decimal int64/uint64 string from the wire as a `bigint` (absent or malformed = 0n). */
export function wireBig(v: unknown): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return BigInt(v);
  return 0n;
}

/** Parses an int64 from the wire as a `number` (revisions, counts, TTLs: within 2^53 in practice). */
export function wireNum(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v !== '') return Number(v);
  return 0;
}
