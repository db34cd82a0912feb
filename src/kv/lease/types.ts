import type { ResponseHeader } from '../types.js';

/** The answer to a keep-alive (`etcdserverpb.LeaseKeepAliveResponse`). */
export interface LeaseKeepAliveResponse {
  /** The response header. */
  header: ResponseHeader;
  /** The lease id. */
  id: bigint;
  /** The lease's TTL in seconds, renewed from now. */
  ttl: number;
}

/** The answer to `timeToLive` (`etcdserverpb.LeaseTimeToLiveResponse`). */
export interface LeaseTimeToLiveResponse {
  /** The response header. */
  header: ResponseHeader;
  /** The lease id. */
  id: bigint;
  /** The remaining TTL in seconds (-1 when the lease does not exist, as etcd answers). */
  ttl: number;
  /** The TTL the lease was granted with, in seconds (0 when it does not exist). */
  grantedTtl: number;
  /** The keys attached, when asked for. */
  keys: Uint8Array[];
}

/** One lease in `leases()` (`etcdserverpb.LeaseStatus`). */
export interface LeaseStatus {
  /** The lease id. */
  id: bigint;
}

/** The answer to `leases()` (`etcdserverpb.LeaseLeasesResponse`). */
export interface LeaseLeasesResponse {
  /** The response header. */
  header: ResponseHeader;
  /** Every lease, in id order. */
  leases: LeaseStatus[];
}
