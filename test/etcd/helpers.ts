import { execFile } from 'node:child_process';
import { credentials, loadPackageDefinition, Metadata, type ServiceError, type GrpcObject, type ServiceClientConstructor } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { join } from 'node:path';
import { PROTO_LOADER_OPTIONS, protoDir } from '../../src/etcd/proto.js';

/** The result of one etcdctl run: exit code, stdout, stderr. */
export interface CtlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real `etcdctl` (ETCDCTL_API=3) with `args` against `endpoints`. */
export function etcdctl(endpoints: readonly string[], args: readonly string[], extraEnv: Record<string, string> = {}): Promise<CtlResult> {
  return new Promise((resolve) => {
    execFile('etcdctl', [`--endpoints=${endpoints.join(',')}`, '--command-timeout=5s', '--dial-timeout=3s', ...args], {
      env: { ...process.env, ETCDCTL_API: '3', ...extraEnv }, timeout: 20_000,
    }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

/** A raw gRPC client of one etcd service, for calls etcdctl cannot make. */
export function rawClient(service: 'KV' | 'Watch' | 'Lease' | 'Cluster' | 'Maintenance' | 'Auth', url: string): InstanceType<ServiceClientConstructor> {
  const dir = protoDir();
  const def = loadSync(join(dir, 'rpc.proto'), { ...PROTO_LOADER_OPTIONS, includeDirs: [dir] });
  const pkg = (loadPackageDefinition(def) as Record<string, GrpcObject>).etcdserverpb!;
  const Ctor = pkg[service] as ServiceClientConstructor;
  return new Ctor(new URL(url).host, credentials.createInsecure());
}

/** Calls a unary method; resolves with the response or the gRPC error. */
export function callUnary(client: InstanceType<ServiceClientConstructor>, method: string, req: object, metadata = new Metadata()): Promise<{ res?: Record<string, unknown>; err?: ServiceError }> {
  return new Promise((resolve) => {
    (client[method] as (r: object, m: Metadata, cb: (e: ServiceError | null, r: Record<string, unknown>) => void) => void)(req, metadata, (e, r) => {
      resolve(e === null ? { res: r } : { err: e });
    });
  });
}
