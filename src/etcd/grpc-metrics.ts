import { status as Status, type ServiceDefinition } from '@grpc/grpc-js';
import { MalformedRequest } from './unmarshal-error.js';

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

/**
 * How many `client-api-version` values `etcd_server_client_requests_total` keeps a sample for, per
 * kind; later ones count under {@link OTHER_CLIENT_VERSION} (the client sets the value, so it must
 * not grow the exposition without bound).
 */
export const MAX_CLIENT_VERSIONS = 32;
/** The `client_api_version` of the requests past {@link MAX_CLIENT_VERSIONS}. */
export const OTHER_CLIENT_VERSION = 'other';

/** go-grpc-prometheus's default handling-time buckets, in seconds. */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** A call's request metadata, as the statistics read it (grpc-js's `Metadata` is one). */
export interface MetadataReader {
  /** The values of `key` (none when absent). */
  get(key: string): (string | Buffer)[];
}

/** The labels that name one RPC. */
export interface RpcLabels {
  /** `unary`, `client_stream`, `server_stream` or `bidi_stream`. */
  grpc_type: GrpcType;
  /** The fully qualified service, e.g. `etcdserverpb.KV`. */
  grpc_service: string;
  /** The method, e.g. `Range`. */
  grpc_method: string;
}

/** A unary call slower than the threshold of {@link SlowUnary}. */
export interface SlowCall {
  /** The method's full name, `/etcdserverpb.KV/Range`. */
  method: string;
  /** Its gRPC status code. */
  code: Status;
  /** How long it took, in milliseconds. */
  ms: number;
}

/** Who hears of unary calls slower than `thresholdMs` (etcd's `--warning-unary-request-duration`). */
export interface SlowUnary {
  /** The threshold, in milliseconds. */
  thresholdMs: number;
  /** Called once per slower call, when it ends. */
  report: (call: SlowCall) => void;
}

/** The counts of one RPC method (plain numbers: no label lookup on the request path). */
class MethodStats {
  readonly labels: string;
  /** The method's full name, and the slow-call report (unary methods only). */
  readonly method: string;
  readonly slow: SlowUnary | undefined;
  started = 0;
  received = 0;
  sent = 0;
  /** Calls ended, by gRPC status code (index). */
  readonly handled: number[] = [];
  readonly buckets = new Array<number>(BUCKETS.length).fill(0);
  sum = 0;
  count = 0;

  /** Whether the handling-time histogram is exported (its buckets are filled only then). */
  readonly histogram: boolean;

  constructor(labels: RpcLabels, slow: SlowUnary | undefined, histogram: boolean) {
    this.histogram = histogram;
    this.labels = `grpc_type="${labels.grpc_type}",grpc_service="${labels.grpc_service}",grpc_method="${labels.grpc_method}"`;
    this.method = `/${labels.grpc_service}/${labels.grpc_method}`;
    this.slow = labels.grpc_type === 'unary' ? slow : undefined;
  }

  /** Counts the start of a call; returns the function that counts its end with `code`. */
  start(): (code: Status) => void {
    this.started++;
    const t0 = performance.now();
    let done = false;
    return (code) => {
      if (done) return;
      done = true;
      this.handled[code] = (this.handled[code] ?? 0) + 1;
      const s = (performance.now() - t0) / 1000;
      if (this.slow !== undefined && s * 1000 > this.slow.thresholdMs) this.slow.report({ method: this.method, code, ms: s * 1000 });
      if (!this.histogram) return;
      this.sum += s;
      this.count++;
      for (let i = 0; i < BUCKETS.length; i++) {
        if (s <= BUCKETS[i]!) {
          this.buckets[i]!++;
          break;
        }
      }
    };
  }
}

/**
 * The gRPC server statistics under go-grpc-prometheus's names (the ones etcd exports and its
 * dashboards and alerts read): `grpc_server_started_total`, `grpc_server_handled_total`
 * (with `grpc_code`), `grpc_server_msg_received_total`, `grpc_server_msg_sent_total` and the
 * `grpc_server_handling_seconds` histogram. Counted in plain numbers per method (resolved once,
 * when a service is instrumented) and rendered as Prometheus text by {@link GrpcMetrics.text}.
 */
export class GrpcMetrics {
  private readonly methods = new Map<string, MethodStats>();
  /** Whether {@link GrpcMetrics.text} includes the `grpc_server_handling_seconds` histogram. */
  readonly handlingTimeHistogram: boolean;

  readonly #slow: SlowUnary | undefined;

  /**
   * @param handlingTimeHistogram - export the handling-time histogram (etcd's `--metrics
   *   extensive`; `basic` leaves it out). Default true.
   * @param slow - who hears of slow unary calls (none by default).
   */
  constructor(handlingTimeHistogram = true, slow?: SlowUnary) {
    this.handlingTimeHistogram = handlingTimeHistogram;
    this.#slow = slow;
  }
  /** etcd's `etcd_network_client_grpc_received_bytes_total`: the encoded size of every request message received. */
  private receivedBytes = 0;
  /** etcd's `etcd_network_client_grpc_sent_bytes_total`: the encoded size of every response message sent. */
  private sentBytes = 0;

  private stats(labels: RpcLabels): MethodStats {
    const key = `${labels.grpc_service}/${labels.grpc_method}`;
    let m = this.methods.get(key);
    if (m === undefined) {
      m = new MethodStats(labels, this.#slow, this.handlingTimeHistogram);
      this.methods.set(key, m);
    }
    return m;
  }

  /**
   * etcd's `etcd_server_client_requests_total`: calls by kind (`unary` or `stream`) and by the
   * `client-api-version` metadata etcd's clients send (`unknown` without it), as etcd's
   * interceptors count every call they see.
   */
  private readonly clientRequests = { unary: new Map<string, number>(), stream: new Map<string, number>() };

  private countClient(unaryCall: boolean, metadata: MetadataReader): void {
    const v = metadata.get('client-api-version')[0];
    let version = v === undefined ? 'unknown' : String(v);
    const counts = unaryCall ? this.clientRequests.unary : this.clientRequests.stream;
    // Clients choose the value: past MAX_CLIENT_VERSIONS distinct ones, the rest share one sample.
    if (!counts.has(version) && counts.size >= MAX_CLIENT_VERSIONS) version = OTHER_CLIENT_VERSION;
    counts.set(version, (counts.get(version) ?? 0) + 1);
  }

  /** Counts the start of an RPC with its request metadata; returns the function that counts its end with `code`. */
  start(labels: RpcLabels, metadata: MetadataReader): (code: Status) => void {
    this.countClient(labels.grpc_type === 'unary', metadata);
    return this.stats(labels).start();
  }

  /** The counter of one RPC method, resolved once: `starter(labels)(metadata)` counts a call's start like {@link GrpcMetrics.start}. */
  starter(labels: RpcLabels): (metadata: MetadataReader) => (code: Status) => void {
    const m = this.stats(labels);
    const unaryCall = labels.grpc_type === 'unary';
    return (metadata) => {
      this.countClient(unaryCall, metadata);
      return m.start();
    };
  }

  /** Counts messages of one RPC method sent without its serializer (already framed), `n` at a time, of `bytes` bytes in all (their gRPC prefixes left out). */
  sentCounter(labels: RpcLabels): (n: number, bytes: number) => void {
    const m = this.stats(labels);
    return (n, bytes) => {
      m.sent += n;
      this.sentBytes += bytes;
    };
  }

  /**
   * `def` with its (de)serializers counting every message received and sent, so streams are
   * counted message by message; `onRequest(method)`, when it returns a function, has it see each
   * request of that method with its encoded size.
   */
  instrument(service: string, def: ServiceDefinition, onRequest: (method: string) => ((request: object, bytes: number) => void) | undefined = () => undefined): ServiceDefinition {
    const out: Record<string, ServiceDefinition[string]> = {};
    for (const [method, d] of Object.entries(def)) {
      const m = this.stats({ grpc_type: grpcType(d.requestStream, d.responseStream), grpc_service: service, grpc_method: method });
      const sized = onRequest(method);
      out[method] = {
        ...d,
        requestDeserialize: (buf: Buffer) => {
          const req = d.requestDeserialize(buf) as object;
          // A request that did not unmarshal is not a message received (etcd fails it before counting).
          if (req instanceof MalformedRequest) return req;
          m.received++;
          this.receivedBytes += buf.length;
          sized?.(req, buf.length);
          return req;
        },
        responseSerialize: (value: unknown) => {
          m.sent++;
          const bytes = d.responseSerialize(value);
          this.sentBytes += bytes.length;
          return bytes;
        },
      };
    }
    return out as ServiceDefinition;
  }

  /** The statistics in the Prometheus text exposition format (every instrumented method, zeros included). */
  text(): string {
    const ms = [...this.methods.values()];
    const counter = (name: string, help: string, value: (m: MethodStats) => number): string[] =>
      [`# HELP ${name} ${help}`, `# TYPE ${name} counter`, ...ms.map((m) => `${name}{${m.labels}} ${String(value(m))}`)];
    const lines = [
      // etcd's own names (its v3rpc package counts them beside go-grpc-prometheus's).
      '# HELP etcd_network_client_grpc_received_bytes_total The total number of bytes received from grpc clients.',
      '# TYPE etcd_network_client_grpc_received_bytes_total counter',
      `etcd_network_client_grpc_received_bytes_total ${String(this.receivedBytes)}`,
      '# HELP etcd_network_client_grpc_sent_bytes_total The total number of bytes sent to grpc clients.',
      '# TYPE etcd_network_client_grpc_sent_bytes_total counter',
      `etcd_network_client_grpc_sent_bytes_total ${String(this.sentBytes)}`,
      '# HELP etcd_server_client_requests_total The total number of client requests per client version.',
      '# TYPE etcd_server_client_requests_total counter',
      ...Object.entries(this.clientRequests).flatMap(([type, counts]) =>
        [...counts].map(([version, n]) => `etcd_server_client_requests_total{client_api_version="${escapeLabel(version)}",type="${type}"} ${String(n)}`)),
      ...counter('grpc_server_started_total', 'Total number of RPCs started on the server.', (m) => m.started),
      '# HELP grpc_server_handled_total Total number of RPCs completed on the server, regardless of success or failure.',
      '# TYPE grpc_server_handled_total counter',
      ...ms.flatMap((m) => m.handled.flatMap((n, code) => `grpc_server_handled_total{${m.labels},grpc_code="${CODE_NAMES[code] ?? String(code)}"} ${String(n)}`)),
      ...counter('grpc_server_msg_received_total', 'Total number of RPC stream messages received on the server.', (m) => m.received),
      ...counter('grpc_server_msg_sent_total', 'Total number of gRPC stream messages sent by the server.', (m) => m.sent),
    ];
    if (!this.handlingTimeHistogram) return `${lines.join('\n')}\n`;
    lines.push(
      '# HELP grpc_server_handling_seconds Histogram of response latency (seconds) of gRPC that had been application-level handled by the server.',
      '# TYPE grpc_server_handling_seconds histogram',
    );
    for (const m of ms) {
      let cumulative = 0;
      for (let i = 0; i < BUCKETS.length; i++) {
        cumulative += m.buckets[i]!;
        lines.push(`grpc_server_handling_seconds_bucket{le="${String(BUCKETS[i])}",${m.labels}} ${String(cumulative)}`);
      }
      lines.push(`grpc_server_handling_seconds_bucket{le="+Inf",${m.labels}} ${String(m.count)}`);
      lines.push(`grpc_server_handling_seconds_sum{${m.labels}} ${String(m.sum)}`);
      lines.push(`grpc_server_handling_seconds_count{${m.labels}} ${String(m.count)}`);
    }
    return `${lines.join('\n')}\n`;
  }
}

/** A label value in the text format: backslash, newline and double quote escaped. */
export function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/** go-grpc-prometheus's `grpc_type` for a method with the given stream shape. */
export function grpcType(requestStream: boolean, responseStream: boolean): GrpcType {
  if (requestStream) return responseStream ? 'bidi_stream' : 'client_stream';
  return responseStream ? 'server_stream' : 'unary';
}
