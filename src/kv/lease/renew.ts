import { LeaseNotFoundError } from '../errors.js';
import type { Applied } from '../mvcc/apply.js';
import { revisionHeader } from '../mvcc/range.js';
import type { MvccStore } from '../mvcc/store.js';
import type { LeaseKeepAliveResponse } from './types.js';

/**
 * Applies a keep-alive (etcd's `lessor.Renew`, replicated here): the lease must exist; its
 * checkpointed remaining TTL is cleared (it runs a full TTL from now). Every member applies it,
 * so each member's lessor knows when the lease was last renewed; the leader's decides expiry.
 *
 * @throws {@link LeaseNotFoundError} for an unknown (revoked or expired) lease.
 */
export function renewLease(store: MvccStore, id: bigint): Applied<LeaseKeepAliveResponse> {
  const l = store.leases.get(id);
  if (l === undefined) throw new LeaseNotFoundError();
  if (l.remainingTtl !== 0) store.leases.checkpoint(id, 0);
  return { response: { header: revisionHeader(store.rev), id, ttl: l.ttl }, effects: { changes: [] } };
}
