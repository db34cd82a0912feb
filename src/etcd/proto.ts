import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPackageDefinition, type GrpcObject, type ServiceDefinition } from '@grpc/grpc-js';
import { loadSync, type Options } from '@grpc/proto-loader';

/**
 * How the `.proto` files are loaded: `@grpc/proto-loader` (protobufjs reflection) at first use.
 * Field names become camelCase (`range_end` → `rangeEnd`; `ID`, `TTL`, `peerURLs` stay as they
 * are), 64-bit integers are decimal strings on both sides so lease and member ids keep all 64 bits
 * (the gRPC layer turns them into `number` or `bigint`), enums are numbers, bytes are Buffers,
 * absent fields take their proto3 defaults, and a set `oneof` names itself in a virtual field.
 * @internal
 */
export const PROTO_LOADER_OPTIONS: Options = { keepCase: false, longs: String, enums: Number, bytes: Buffer, defaults: true, oneofs: true };

/** The services of etcd's v3 API this package serves, by name. */
export interface EtcdServices {
  /** `etcdserverpb.KV`. */
  KV: ServiceDefinition;
  /** `etcdserverpb.Watch`. */
  Watch: ServiceDefinition;
  /** `etcdserverpb.Lease`. */
  Lease: ServiceDefinition;
  /** `etcdserverpb.Cluster`. */
  Cluster: ServiceDefinition;
  /** `etcdserverpb.Maintenance`. */
  Maintenance: ServiceDefinition;
  /** `etcdserverpb.Auth`. */
  Auth: ServiceDefinition;
}

let cached: EtcdServices | undefined;

/**
 * The directory holding `rpc.proto`, `kv.proto` and `auth.proto`: src/etcd/proto in the
 * sources, `dist/` in the built package (tsup's `publicDir` copies them there; the bundled code
 * may sit in `dist/` or `dist/etcd/`).
 * @internal
 */
export function protoDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const dir of [join(here, 'proto'), here, join(here, '..')]) {
    if (existsSync(join(dir, 'rpc.proto'))) return dir;
  }
  throw new Error(`raftkit/etcd: the .proto files are missing (looked in ${here}/proto, ${here} and ${here}/..)`);
}

/** Loads (once) and returns the gRPC service definitions of etcd's v3 API. */
export function etcdServices(): EtcdServices {
  if (cached !== undefined) return cached;
  const dir = protoDir();
  const def = loadSync(join(dir, 'rpc.proto'), { ...PROTO_LOADER_OPTIONS, includeDirs: [dir] });
  const pkg = (loadPackageDefinition(def) as Record<string, GrpcObject>).etcdserverpb!;
  const svc = (name: keyof EtcdServices): ServiceDefinition => (pkg[name] as unknown as { service: ServiceDefinition }).service;
  cached = { KV: svc('KV'), Watch: svc('Watch'), Lease: svc('Lease'), Cluster: svc('Cluster'), Maintenance: svc('Maintenance'), Auth: svc('Auth') };
  return cached;
}

let health: ServiceDefinition | undefined;

/** Loads (once) and returns gRPC's standard health service (`grpc.health.v1.Health`), which etcd serves next to its API. */
export function healthServiceDefinition(): ServiceDefinition {
  if (health !== undefined) return health;
  const dir = protoDir();
  const def = loadSync(join(dir, 'health.proto'), { ...PROTO_LOADER_OPTIONS, includeDirs: [dir] });
  const pkg = loadPackageDefinition(def) as unknown as { grpc: { health: { v1: { Health: { service: ServiceDefinition } } } } };
  health = pkg.grpc.health.v1.Health.service;
  return health;
}
