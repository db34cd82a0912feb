/**
 * The etcd server version whose v3 API semantics `raftkit/etcd` implements, as `Status` and
 * `/version` report it. Clients gate features on it: the Kubernetes apiserver uses watch progress
 * requests (consistent lists from its watch cache) only with etcd >= 3.4.31 or >= 3.5.13.
 */
export const ETCD_API_VERSION = '3.5.13';

/** The etcd cluster version `/version` reports (major.minor.0, as etcd does). */
export const ETCD_CLUSTER_VERSION = '3.5.0';

/** raftkit's own version (package.json's `version`; a test keeps them equal). */
export const RAFTKIT_VERSION = '0.1.0';
