/**
 * etcd's JSON gateway (grpc-gateway) on the client URLs: `POST /v3/kv/range` with a JSON body
 * runs the same handler as the gRPC call `etcdserverpb.KV/Range` and answers its response as
 * JSON, as etcd 3.4 does for curl-based scripts and clients without gRPC.
 *
 * The JSON is grpc-gateway's (jsonpb with the `.proto` field names, defaults left out): 64-bit
 * integers as strings, bytes as base64, enums by name. Requests take the `.proto` names or their
 * lowerCamelCase forms, numbers or strings for 64-bit integers, enum names or numbers; unknown
 * fields are ignored. Errors answer `{"error", "message", "code"}` with grpc-gateway's HTTP status
 * for the gRPC code. The streaming calls (Watch, LeaseKeepAlive, Snapshot) answer a line per
 * response (json-gateway-stream.ts).
 * @module
 */
import type * as http from 'node:http';
import { join } from 'node:path';
import { status as Status } from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { protoDir } from './proto.js';
import type { UnaryRoute } from './unary-path.js';
import { JsonValues } from './json-values.js';
import { serveJsonStream, type StreamCodec, type StreamRoute } from './json-gateway-stream.js';
import type { CallMetadata, UnaryCall } from './rpc.js';

/** A gateway path and the gRPC method it runs (etcd 3.4's `google.api.http` bindings). */
const BINDINGS: Readonly<Record<string, string>> = {
  'kv/range': 'KV/Range', 'kv/put': 'KV/Put', 'kv/deleterange': 'KV/DeleteRange', 'kv/txn': 'KV/Txn', 'kv/compaction': 'KV/Compact',
  'lease/grant': 'Lease/LeaseGrant', 'lease/revoke': 'Lease/LeaseRevoke', 'kv/lease/revoke': 'Lease/LeaseRevoke',
  'lease/timetolive': 'Lease/LeaseTimeToLive', 'kv/lease/timetolive': 'Lease/LeaseTimeToLive', 'lease/leases': 'Lease/LeaseLeases', 'kv/lease/leases': 'Lease/LeaseLeases',
  'cluster/member/add': 'Cluster/MemberAdd', 'cluster/member/remove': 'Cluster/MemberRemove', 'cluster/member/update': 'Cluster/MemberUpdate',
  'cluster/member/list': 'Cluster/MemberList', 'cluster/member/promote': 'Cluster/MemberPromote',
  'maintenance/alarm': 'Maintenance/Alarm', 'maintenance/status': 'Maintenance/Status', 'maintenance/defragment': 'Maintenance/Defragment',
  'maintenance/hash': 'Maintenance/Hash', 'maintenance/transfer-leadership': 'Maintenance/MoveLeader',
  'watch': 'Watch/Watch', 'lease/keepalive': 'Lease/LeaseKeepAlive', 'maintenance/snapshot': 'Maintenance/Snapshot',
};

/**
 * The handlers the gateway runs, by gRPC path (`/etcdserverpb.KV/Range`).
 * @internal
 */
export interface GatewayRoutes {
  /** A unary method's route. */
  unary(grpcPath: string): UnaryRoute | undefined;
  /** A streaming method's route. */
  stream(grpcPath: string): StreamRoute | undefined;
}

/** grpc-gateway's HTTP status for each gRPC code (its `HTTPStatusFromCode`). */
const HTTP_STATUS: Readonly<Record<number, number>> = {
  [Status.OK]: 200, [Status.CANCELLED]: 408, [Status.UNKNOWN]: 500, [Status.INVALID_ARGUMENT]: 400, [Status.DEADLINE_EXCEEDED]: 504,
  [Status.NOT_FOUND]: 404, [Status.ALREADY_EXISTS]: 409, [Status.PERMISSION_DENIED]: 403, [Status.UNAUTHENTICATED]: 401,
  [Status.RESOURCE_EXHAUSTED]: 429, [Status.FAILED_PRECONDITION]: 412, [Status.ABORTED]: 409, [Status.OUT_OF_RANGE]: 400,
  [Status.UNIMPLEMENTED]: 501, [Status.INTERNAL]: 500, [Status.UNAVAILABLE]: 503, [Status.DATA_LOSS]: 500,
};

/** The longest JSON value a unary request body may hold, in characters (a longer one is refused). */
const MAX_BODY_CHARS = 4 * 1024 * 1024;

/** A gateway call's empty metadata (no `hasleader`). */
const NO_METADATA: CallMetadata = { get: () => [] };

let root: protobuf.Root | undefined;

/** etcd's messages with their `.proto` field names (grpc-gateway's `OrigName`). */
function messages(): protobuf.Root {
  if (root === undefined) {
    root = new protobuf.Root();
    root.loadSync(join(protoDir(), 'rpc.proto'), { keepCase: true });
  }
  return root;
}

/** Refuses `v` for `field` (one value of it) unless its JSON type is one jsonpb takes for the field's type. */
function checkScalar(field: protobuf.Field, v: unknown): void {
  const sub = field.resolvedType;
  const ok = sub instanceof protobuf.Enum ? (typeof v === 'string' && v in sub.values) || Number.isInteger(v)
    : field.type === 'bool' ? typeof v === 'boolean'
      : field.type === 'string' || field.type === 'bytes' ? typeof v === 'string'
        : typeof v === 'number' || (typeof v === 'string' && /^-?\d+$/.test(v));
  if (!ok) throw new TypeError(`bad value ${JSON.stringify(v)} for field "${field.name}" (${field.type})`);
}

/**
 * `value` (a JSON object for a message of `type`) with each key spelt as in the `.proto` (its
 * lowerCamelCase form is taken too) and each value checked against its field's type; unknown
 * keys are left out, as jsonpb ignores them.
 *
 * @throws TypeError for a value of the wrong JSON type or an unknown enum name.
 */
function withProtoNames(type: protobuf.Type, value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new TypeError(`expected an object for ${type.name}`);
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const field = type.fields[key] ?? type.fieldsArray.find((f) => protobuf.util.camelCase(f.name) === key);
    if (field === undefined || v === null) continue;
    field.resolve();
    const sub = field.resolvedType instanceof protobuf.Type ? field.resolvedType : undefined;
    const one = (x: unknown): unknown => {
      if (sub !== undefined) return withProtoNames(sub, x);
      checkScalar(field, x);
      return x;
    };
    if (field.repeated && !Array.isArray(v)) throw new TypeError(`expected an array for field "${field.name}"`);
    out[field.name] = field.repeated ? (v as unknown[]).map(one) : one(v);
  }
  return out;
}

const LONGS = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);

/**
 * `value` (a `toObject` of a message of `type`) without the fields at their zero value, as jsonpb
 * leaves them out: a field encoded with its default still decodes as set.
 */
function withoutDefaults(type: protobuf.Type, value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const field = type.fields[key];
    if (field === undefined) continue;
    field.resolve();
    const sub = field.resolvedType;
    if (Array.isArray(v)) {
      if (v.length > 0) out[key] = sub instanceof protobuf.Type ? v.map((x) => withoutDefaults(sub, x as Record<string, unknown>)) : v;
      continue;
    }
    if (sub instanceof protobuf.Type) {
      out[key] = withoutDefaults(sub, v as Record<string, unknown>);
      continue;
    }
    const zero = sub instanceof protobuf.Enum ? v === sub.valuesById[0] : v === false || v === 0 || v === '' || (LONGS.has(field.type) && v === '0');
    if (!zero) out[key] = v;
  }
  return out;
}

/** Why a gateway request failed before or in its handler: a gRPC code and a message. */
interface GatewayError {
  code: number;
  message: string;
}

/** A response's JSON as grpc-gateway writes it, from its protobuf bytes. */
function responseJson(type: protobuf.Type, bytes: Uint8Array): Record<string, unknown> {
  return withoutDefaults(type, type.toObject(type.decode(bytes), { longs: String, enums: String, bytes: String, defaults: false }));
}

/**
 * The protobuf bytes of a request of `type` from its JSON.
 *
 * @throws TypeError for a value of the wrong type.
 */
function requestBytes(type: protobuf.Type, json: unknown): Buffer {
  return Buffer.from(type.encode(type.fromObject(withProtoNames(type, json))).finish());
}

/**
 * Answers `req` when its path is one of etcd's gateway paths (`/v3/...`, or `/v3beta/...` as
 * etcd 3.4 still takes); returns false, touching nothing, for any other path.
 * @param req - the HTTP/1 request.
 * @param res - its response.
 * @param routes - the handlers of the gRPC paths.
 * @internal
 */
export function serveJsonGateway(req: http.IncomingMessage, res: http.ServerResponse, routes: GatewayRoutes): boolean {
  const path = (req.url ?? '/').split('?')[0]!;
  const m = /^\/v3(?:beta)?\/(.+)$/.exec(path);
  if (m === null) return false;
  const method = BINDINGS[m[1]!];
  const grpcPath = `/etcdserverpb.${method ?? ''}`;
  const r = method === undefined ? undefined : routes.unary(grpcPath) ?? routes.stream(grpcPath);
  const plain = (code: number, text: string): void => {
    res.writeHead(code, { 'content-type': 'text/plain; charset=utf-8' }).end(text);
  };
  if (method === undefined || r === undefined) {
    plain(404, 'Not Found\n');
    return true;
  }
  if (req.method !== 'POST') {
    plain(405, 'Method Not Allowed\n');
    return true;
  }
  const [service, rpc] = method.split('/') as [string, string];
  const svc = messages().lookupService(`etcdserverpb.${service}`).methods[rpc]!;
  svc.resolve();
  const reqType = svc.resolvedRequestType!;
  const resType = svc.resolvedResponseType!;
  const json = (code: number, body: unknown): void => {
    res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  const fail = (e: GatewayError): void => json(HTTP_STATUS[e.code] ?? 500, { error: e.message, message: e.message, code: e.code });
  if ('clientStreams' in r) {
    const codec: StreamCodec = { request: (v) => requestBytes(reqType, v), response: (b) => responseJson(resType, b), httpStatus: (code) => HTTP_STATUS[code] ?? 500 };
    serveJsonStream(req, res, r, codec, (code, message) => fail({ code, message }));
    return true;
  }
  // The request is the body's first JSON value, read as Go's decoder reads it: the rest of the body
  // is not read (the websocket proxy's body stays open), an empty body is the empty request.
  const values = new JsonValues(MAX_BODY_CHARS);
  let read = false;
  const run = (body: unknown): void => {
    let request: unknown;
    try {
      request = r.deserialize(requestBytes(reqType, body));
    } catch (e) {
      fail({ code: Status.INVALID_ARGUMENT, message: e instanceof Error ? e.message : String(e) });
      return;
    }
    const call: UnaryCall<unknown> = { request, metadata: NO_METADATA, cancelled: false, getDeadline: () => Infinity, once: () => call, off: () => call };
    r.handler(call, (err, value) => {
      if (err !== null && err !== undefined) {
        const e = err as { code?: unknown; details?: unknown; message?: unknown };
        const message = typeof e.details === 'string' ? e.details : typeof e.message === 'string' ? e.message : 'unknown error';
        fail({ code: typeof e.code === 'number' ? e.code : Status.UNKNOWN, message });
        return;
      }
      json(200, responseJson(resType, r.serialize(value)));
    });
  };
  req.setEncoding('utf8');
  req.on('data', (chunk: string) => {
    if (read) return;
    const { values: got, error } = values.feed(chunk);
    if (got.length === 0 && error === undefined) return;
    read = true;
    req.removeAllListeners('data');
    req.resume();
    if (got.length > 0) run(got[0]);
    else fail({ code: Status.INVALID_ARGUMENT, message: error!.message });
  });
  req.on('end', () => {
    if (read) return;
    read = true;
    try {
      values.end();
    } catch (e) {
      fail({ code: Status.INVALID_ARGUMENT, message: (e as Error).message });
      return;
    }
    run({});
  });
  return true;
}
