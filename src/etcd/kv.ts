import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type {
  Bytes, CompactionResponse, DeleteRangeRequest, DeleteRangeResponse, PutRequest, PutResponse, RangeRequest, RangeResponse, TxnRequest, TxnResponse,
} from '../kv/types.js';
import { deleteIn, responseOut, txnIn, txnOps, type Wire } from './convert.js';
import { etcdError } from './errors.js';
import type { RequestOptions } from '../replica/options.js';
import type { DecodedPutRequest } from './request-codec.js';
import { unary, wireNum, type RpcContext } from './rpc.js';

/**
 * The key-value operations the KV service calls: `raftkit/kv`'s `KvClient` has them. Each gets
 * the call's request options (its deadline as `timeoutMs`, `hasleader` as `waitForLeader: false`).
 * `put` and `range` get them in the decoded request itself, which therefore also holds the key
 * (and the value) they are given apart.
 */
export interface KvApi {
  /** etcd's Put. */
  put(key: Bytes, value: Bytes, options: Omit<PutRequest, 'key' | 'value'> & RequestOptions): Promise<PutResponse>;
  /** etcd's Range (linearizable unless `serializable`). */
  range(key: Bytes, options: Omit<RangeRequest, 'key'> & RequestOptions): Promise<RangeResponse>;
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
 * writes. Other requests' sizes are not recorded.
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
  const checkSize = (req: object): void => {
    if (ctx.requestBytes(req) > ctx.maxRequestBytes) throw etcdError('requestTooLarge');
  };
  return {
    // The request comes decoded by decodeRangeRequest (a fresh object of raftkit/kv's shape: the call's
    // options are added to it, not copied next to it), and the answer, raftkit/kv's RangeResponse, is
    // encoded by the definition served (withResponseCodecs). A serializable Range waits for nothing a
    // cancellation could stop: no cancel signal.
    Range: unary(ctx, SERVICE, 'Range', (req: RangeRequest & RequestOptions, opts) => kv.range(req.key, Object.assign(req, opts)), (req: RangeRequest) => req.serializable !== true),
    // Likewise: decodePutRequest in, raftkit/kv's PutResponse out.
    Put: unary(ctx, SERVICE, 'Put', (req: DecodedPutRequest & RequestOptions, opts) => {
      checkSize(req);
      return kv.put(req.key, req.value, Object.assign(req, opts));
    }),
    DeleteRange: unary(ctx, SERVICE, 'DeleteRange', async (w: Wire, opts) => {
      checkSize(w);
      const { key, ...rest } = deleteIn(w);
      return responseOut(await kv.deleteRange(key, { ...rest, ...opts }) as never);
    }),
    Txn: unary(ctx, SERVICE, 'Txn', async (w: Wire, opts) => {
      checkSize(w);
      const t = txnIn(w);
      if (txnOps(t) > ctx.maxTxnOps) throw etcdError('tooManyOps');
      return responseOut(await kv.txn(t, opts) as never);
    }),
    Compact: unary(ctx, SERVICE, 'Compact', async (w: Wire, opts) => {
      return responseOut(await kv.compact(wireNum(w.revision), { ...opts, physical: w.physical === true }) as never);
    }),
  };
}
