import { status as Status, type ServerWritableStream, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { grpcError } from './errors.js';
import { unaryNoCancel, type RpcContext } from './rpc.js';

const SERVICE = 'grpc.health.v1.Health';

/** `grpc.health.v1.HealthCheckResponse.ServingStatus`. */
const ServingStatus = { SERVING: 1, SERVICE_UNKNOWN: 3 } as const;

/**
 * gRPC's standard health service, as etcd 3.4 serves it on its client URLs (grpc-go's health
 * server with the whole server, service `""`, set to SERVING): `Check("")` answers SERVING, any
 * other service NOT_FOUND "unknown service"; `Watch` sends the status (SERVICE_UNKNOWN for another
 * service) and keeps the stream open. Load balancers, `grpc_health_probe` and Kubernetes' gRPC
 * probes call it. Like etcd's, it does not follow the member's Raft health (`/health` does).
 * @internal
 */
export function healthService(ctx: RpcContext): UntypedServiceImplementation {
  const labels = { grpc_type: 'server_stream', grpc_service: SERVICE, grpc_method: 'Watch' } as const;
  return {
    Check: unaryNoCancel(ctx, SERVICE, 'Check', (req: { service: string }) => {
      if (req.service !== '') throw grpcError(Status.NOT_FOUND, 'unknown service');
      return { status: ServingStatus.SERVING };
    }),
    Watch: (call: ServerWritableStream<{ service: string }, { status: number }>) => {
      const done = ctx.grpc.start(labels, call.metadata);
      call.write({ status: call.request.service === '' ? ServingStatus.SERVING : ServingStatus.SERVICE_UNKNOWN });
      call.on('cancelled', () => done(Status.CANCELLED));
    },
  };
}
