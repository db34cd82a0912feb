/**
 * raftkit/etcd: etcd's v3 gRPC API over a raftkit replica — the embeddable {@link EtcdServer},
 * etcd's error table and metric names, and the member id scheme the `raftkit` command uses.
 *
 * @packageDocumentation
 * @module raftkit/etcd
 */
export { EtcdServer } from './server.js';
export type { KvApi } from './kv.js';
export type { EtcdServerOptions } from './server.js';
export type { ClientTlsOptions } from './client-tls.js';
export { EtcdErrors, etcdError, toGrpcError } from './errors.js';
export { Http2InputError } from './http2/errors.js';
export type { Http2InputReason } from './http2/errors.js';
export type { EtcdErrorName, GrpcError } from './errors.js';
export { etcdServices } from './proto.js';
export type { EtcdServices } from './proto.js';
export { clusterIdFor, memberIdFor, peerAddress } from './members.js';
export type { MemberInfo } from './members.js';
export { EtcdMetrics } from './metrics.js';
export { GrpcMetrics, type MetadataReader } from './grpc-metrics.js';
export type { GrpcType, RpcLabels, SlowCall, SlowUnary } from './grpc-metrics.js';
export { AUTH_UNIMPLEMENTED } from './auth.js';
export { ETCD_API_VERSION, ETCD_CLUSTER_VERSION, RAFTKIT_VERSION } from './version.js';
export type { Health, HealthQuery, HttpEndpointSource, ProbeCheck } from './http.js';
