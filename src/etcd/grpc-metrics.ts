import { status as Status, type ServiceDefinition } from '@grpc/grpc-js';
import { Counter, Histogram, type Registry } from 'prom-client';

/** go-grpc-prometheus's `grpc_type` label values. */
export type GrpcType = 'unary' | 'client_stream' | 'server_stream' | 'bidi_stream';

/** Go's names of the gRPC status codes, as go-grpc-prometheus writes them in `grpc_code`. */
const CODE_NAMES: Record<number, string> = {
  [Status.OK]: 'OK', [Status.CANCELLED]: 'Canceled', [Status.UNKNOWN]: 'Unknown', [Status.INVALID_ARGUMENT]: 'InvalidArgument',
  [Status.DEADLINE_EXCEEDED]: 'DeadlineExceeded', [Status.NOT_FOUND]: 'NotFound', [Status.ALREADY_EXISTS]: 'AlreadyExists',
  [Status.PERMISSION_DENIED]: 'PermissionDenied', [Status.RESOURCE_EXHAUSTED]: 'ResourceExhausted',
  [Status.FAILED_PRECONDITION]: 'FailedPrecondition', [Status.ABORTED]: 'Aborted', [Status.OUT_OF_RANGE]: 'OutOfRange',
  [Status.UNIMPLEMENTED]: 'Unimplemented', [Status.INTERNAL]: 'Internal', [Status.UNAVAILABLE]: 'Unavailable',
  [Status.DATA_LOSS]: 'DataLoss', [Status.UNAUTHENTICATED]: 'Unauthenticated',
};

/** The labels that name one RPC. */
export interface RpcLabels {
  /** `unary`, `client_stream`, `server_stream` or `bidi_stream`. */
  grpc_type: GrpcType;
  /** The fully qualified service, e.g. `etcdserverpb.KV`. */
  grpc_service: string;
  /** The method, e.g. `Range`. */
  grpc_method: string;
}

/**
 * The gRPC server statistics under go-grpc-prometheus's names (the ones etcd exports and its
 * dashboards and alerts read): `grpc_server_started_total`, `grpc_server_handled_total`
 * (with `grpc_code`), `grpc_server_msg_received_total`, `grpc_server_msg_sent_total` and the
 * `grpc_server_handling_seconds` histogram.
 */
export class GrpcMetrics {
  private readonly started: Counter<keyof RpcLabels>;
  private readonly handled: Counter<keyof RpcLabels | 'grpc_code'>;
  private readonly received: Counter<keyof RpcLabels>;
  private readonly sent: Counter<keyof RpcLabels>;
  private readonly seconds: Histogram<keyof RpcLabels>;

  /** @param registry - the registry to add the metrics to. */
  constructor(registry: Registry) {
    const registers = [registry];
    const labelNames = ['grpc_type', 'grpc_service', 'grpc_method'] as const;
    this.started = new Counter({ name: 'grpc_server_started_total', help: 'Total number of RPCs started on the server.', labelNames, registers });
    this.handled = new Counter({
      name: 'grpc_server_handled_total', help: 'Total number of RPCs completed on the server, regardless of success or failure.',
      labelNames: [...labelNames, 'grpc_code'], registers,
    });
    this.received = new Counter({ name: 'grpc_server_msg_received_total', help: 'Total number of RPC stream messages received on the server.', labelNames, registers });
    this.sent = new Counter({ name: 'grpc_server_msg_sent_total', help: 'Total number of gRPC stream messages sent by the server.', labelNames, registers });
    this.seconds = new Histogram({
      name: 'grpc_server_handling_seconds', help: 'Histogram of response latency (seconds) of gRPC that had been application-level handled by the server.',
      labelNames, buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers,
    });
  }

  /** Counts the start of an RPC; returns the function that counts its end with `code`. */
  start(labels: RpcLabels): (code: Status) => void {
    this.started.inc(labels);
    const t0 = performance.now();
    let done = false;
    return (code) => {
      if (done) return;
      done = true;
      this.handled.inc({ ...labels, grpc_code: CODE_NAMES[code] ?? String(code) });
      this.seconds.observe(labels, (performance.now() - t0) / 1000);
    };
  }

  /**
   * `def` with its (de)serializers counting every message received and sent, so streams are
   * counted message by message; `onRequest` sees each request's encoded size.
   */
  instrument(service: string, def: ServiceDefinition, onRequest: (request: object, bytes: number) => void): ServiceDefinition {
    const out: Record<string, ServiceDefinition[string]> = {};
    for (const [method, d] of Object.entries(def)) {
      const labels: RpcLabels = { grpc_type: grpcType(d.requestStream, d.responseStream), grpc_service: service, grpc_method: method };
      out[method] = {
        ...d,
        requestDeserialize: (buf: Buffer) => {
          this.received.inc(labels);
          const req = d.requestDeserialize(buf) as object;
          onRequest(req, buf.length);
          return req;
        },
        responseSerialize: (value: unknown) => {
          this.sent.inc(labels);
          return d.responseSerialize(value);
        },
      };
    }
    return out as ServiceDefinition;
  }
}

/** go-grpc-prometheus's `grpc_type` for a method with the given stream shape. */
export function grpcType(requestStream: boolean, responseStream: boolean): GrpcType {
  if (requestStream) return responseStream ? 'bidi_stream' : 'client_stream';
  return responseStream ? 'server_stream' : 'unary';
}
