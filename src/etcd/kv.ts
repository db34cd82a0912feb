import { status as Status, type UntypedServiceImplementation } from '@grpc/grpc-js';
import type {
  Bytes, CompactionResponse, DeleteRangeRequest, DeleteRangeResponse, PutRequest, PutResponse, RangeRequest, RangeResponse, TxnRequest, TxnResponse,
} from '../kv/types.js';
import { headerOut, txnOps, type Wire } from './convert.js';
import { etcdError, grpcError } from './errors.js';
import type { RequestOptions } from '../replica/options.js';
import type { DecodedDeleteRangeRequest, DecodedPutRequest, DecodedRangeRequest, DecodedTxnRequest } from './request-codec.js';
import { unary, wireNum, type RpcContext } from './rpc.js';

/**
 * The key-value operations the KV service calls: `raftkit/kv`'s `KvClient` has them. Each gets
 * the call's request options (its deadline as `timeoutMs`, `hasleader` as `waitForLeader: false`).
 * Put and Range get the request as decoded, whole (every field present, bytes as bytes), with the
 * options apart.
 */
export interface KvApi {
  /** etcd's Put. */
  putRequest(req: PutRequest & { key: Uint8Array; value: Uint8Array }, options: RequestOptions): Promise<PutResponse>;
  /** etcd's Range (linearizable unless `serializable`). */
  rangeRequest(req: RangeRequest & { key: Uint8Array; rangeEnd: Uint8Array }, options: RequestOptions): Promise<RangeResponse>;
  /** Optional: a Range answered at once (serializable, from memory), or undefined to go through `rangeRequest`. */
  rangeNow?(req: RangeRequest & { key: Uint8Array; rangeEnd: Uint8Array }): RangeResponse | undefined;
  /** etcd's DeleteRange. */
  deleteRange(key: Bytes, options: Omit<DeleteRangeRequest, 'key'> & RequestOptions): Promise<DeleteRangeResponse>;
  /** etcd's Txn. */
  txn(request: TxnRequest, options: RequestOptions): Promise<TxnResponse>;
  /** etcd's Compact. */
  compact(revision: number, options: { physical?: boolean } & RequestOptions): Promise<CompactionResponse>;
}

const SERVICE = 'etcdserverpb.KV';

/**
 * The KV methods whose handlers check a request's encoded size (`RpcContext.requestBytes`): the
 * writes. Other requests' sizes are not recorded; a handler that checks the size of a request
 * whose method is missing here fails it with INTERNAL (fail closed), never passes it as 0 bytes.
 * @internal
 */
export const SIZE_CHECKED: ReadonlySet<string> = new Set(['Put', 'DeleteRange', 'Txn']);

/**
 * The KV service over a {@link KvApi}: requests from the wire to raftkit/kv's shapes and back,
 * write requests over `maxRequestBytes` refused with "etcdserver: request is too large", txns
 * over `maxTxnOps` with "etcdserver: too many operations in txn request". (Writes while more
 * than 5000 committed entries wait to apply, etcd's `maxGapBetweenApplyAndCommitIndex`, are
 * refused by the replica itself, `maxPendingApply`, as "etcdserver: too many requests".)
 * @internal
 */
export function kvService(ctx: RpcContext, kv: KvApi): UntypedServiceImplementation {
  // Fails closed: a request whose size was not recorded (its method missing from SIZE_CHECKED) is
  // refused as an internal error, never taken as 0 bytes and let through.
  const checkSize = (method: string, req: object): void => {
    const bytes = ctx.requestBytes(req);
    if (bytes === undefined) throw grpcError(Status.INTERNAL, `raftkit: the size of a KV ${method} request was not recorded (SIZE_CHECKED)`);
    if (bytes > ctx.maxRequestBytes) throw etcdError('requestTooLarge');
  };
  return {
    // The requests come decoded by request-codec.ts, whole, in raftkit/kv's shapes, and the answers
    // (raftkit/kv's RangeResponse, PutResponse, DeleteRangeResponse and TxnResponse) are encoded by
    // the definitions served (withResponseCodecs). A serializable Range waits for nothing a
    // cancellation could stop: no cancel signal; one whose values are all in memory is answered
    // at once (`rangeNow`), without a promise.
    Range: unary(ctx, SERVICE, 'Range', (req: DecodedRangeRequest, opts) => kv.rangeNow?.(req) ?? kv.rangeRequest(req, opts), (req: DecodedRangeRequest) => !req.serializable),
    Put: unary(ctx, SERVICE, 'Put', (req: DecodedPutRequest, opts) => {
      checkSize('Put', req);
      return kv.putRequest(req, opts);
    }),
    DeleteRange: unary(ctx, SERVICE, 'DeleteRange', (req: DecodedDeleteRangeRequest, opts) => {
      checkSize('DeleteRange', req);
      return kv.deleteRange(req.key, { ...opts, rangeEnd: req.rangeEnd, prevKv: req.prevKv });
    }),
    Txn: unary(ctx, SERVICE, 'Txn', (req: DecodedTxnRequest, opts) => {
      checkSize('Txn', req);
      if (txnOps(req) > ctx.maxTxnOps) throw etcdError('tooManyOps');
      return kv.txn(req, opts);
    }),
    Compact: unary(ctx, SERVICE, 'Compact', async (w: Wire, opts) => {
      return { header: headerOut((await kv.compact(wireNum(w.revision), { ...opts, physical: w.physical === true })).header) };
    }),
  };
}
