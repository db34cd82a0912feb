import type { RequestOp, ResponseHeader, TxnRequest } from '../kv/types.js';
import type { WireHeader } from './rpc.js';

/** A decoded request message as proto-loader hands it over: camelCase fields, int64 as strings, bytes as Buffers. */
export type Wire = Record<string, unknown>;

/** A response header for the wire. */
export function headerOut(h: ResponseHeader): WireHeader {
  return { clusterId: String(h.clusterId), memberId: String(h.memberId), revision: String(h.revision), raftTerm: String(h.raftTerm) };
}

/** The number of operations in a txn, nested txns' included (what `--max-txn-ops` limits per branch). */
export function txnOps(t: TxnRequest): number {
  const branch = (ops: RequestOp[] | undefined): number => (ops ?? []).length;
  return Math.max(branch(t.success), branch(t.failure), (t.compare ?? []).length);
}
