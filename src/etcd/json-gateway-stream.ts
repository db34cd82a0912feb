/**
 * The JSON gateway's streaming calls (`POST /v3/watch`, `/v3/lease/keepalive`,
 * `/v3/maintenance/snapshot`), as grpc-gateway serves them for etcd: the request body is one JSON
 * object (server streaming) or a sequence of them (bidirectional: each is sent as it arrives, and
 * the end of the body half-closes the call), and each response is written as it comes, as a line
 * `{"result": ...}`, on a chunked `200`. An error ends the body with `{"error": {grpc_code,
 * http_code, message, http_status}}`.
 * @module
 */
import * as http from 'node:http';
import { Duplex } from 'node:stream';
import { status as Status } from '@grpc/grpc-js';
import { JsonValues } from './json-values.js';
import type { CallMetadata } from './rpc.js';

/**
 * A gRPC streaming method as the gateway runs it: its codecs and the handler grpc-js runs.
 * @internal
 */
export interface StreamRoute {
  /** Decodes a request from its protobuf bytes. */
  deserialize(bytes: Buffer): unknown;
  /** Encodes a response (what the handler writes) to its protobuf bytes. */
  serialize(value: unknown): Buffer;
  /** The handler, as registered with grpc-js: it takes the call object. */
  handler: (call: never) => void;
  /** Whether the client streams requests (bidirectional), or sends one (server streaming). */
  clientStreams: boolean;
}

/**
 * How the gateway turns JSON into a request and a response into JSON (json-gateway.ts).
 * @internal
 */
export interface StreamCodec {
  /**
   * The protobuf bytes of the request a JSON object stands for.
   *
   * @throws TypeError for a value of the wrong type.
   */
  request(json: unknown): Buffer;
  /** A response's JSON (grpc-gateway's), from its protobuf bytes. */
  response(bytes: Buffer): unknown;
  /** grpc-gateway's HTTP status for a gRPC code. */
  httpStatus(code: number): number;
}

/** The largest JSON request object read, in characters. */
const MAX_VALUE_CHARS = 4 * 1024 * 1024;

const NO_METADATA: CallMetadata = { get: () => [] };

/** An error as the handler emits it: grpc-js's status object. */
interface EmittedError {
  code?: unknown;
  details?: unknown;
  message?: unknown;
}

/**
 * The call object a streaming handler gets, as grpc-js's server streams behave for what the
 * handlers use: `data` and `end` events from the requests, `write` (false past its buffer, then
 * `drain`), `end`, `emit('error', status)` to fail the call, `cancelled` when the client goes.
 */
class GatewayCall extends Duplex {
  readonly metadata = NO_METADATA;
  /** The request of a server-streaming call. */
  request: unknown = undefined;
  cancelled = false;
  /** The answer was ended here (a `close` after it is not the client going away). */
  answered = false;
  readonly #res: http.ServerResponse;
  readonly #route: StreamRoute;
  readonly #codec: StreamCodec;
  #error: EmittedError | undefined = undefined;

  constructor(res: http.ServerResponse, route: StreamRoute, codec: StreamCodec) {
    super({ objectMode: true });
    this.#res = res;
    this.#route = route;
    this.#codec = codec;
    // As grpc-js: an emitted error ends the call with its status, after the responses already written.
    this.on('error', (e: EmittedError) => {
      this.#error ??= e;
      if (!this.writableEnded) this.end();
    });
  }

  override _read(): void {}

  override _write(message: unknown, _encoding: BufferEncoding, done: () => void): void {
    if (this.#res.destroyed) {
      done();
      return;
    }
    this.#head(200);
    this.#res.write(`${JSON.stringify({ result: this.#codec.response(this.#route.serialize(message)) })}\n`, () => done());
  }

  override _final(done: () => void): void {
    this.answered = true;
    const e = this.#error;
    if (e === undefined) {
      this.#head(200);
      this.#res.end();
    } else {
      const code = typeof e.code === 'number' ? e.code : Status.UNKNOWN;
      const message = typeof e.details === 'string' ? e.details : typeof e.message === 'string' ? e.message : 'unknown error';
      const httpCode = this.#codec.httpStatus(code);
      this.#head(httpCode);
      this.#res.end(JSON.stringify({ error: { grpc_code: code, http_code: httpCode, message, http_status: http.STATUS_CODES[httpCode] ?? '' } }));
    }
    done();
  }

  #head(code: number): void {
    if (!this.#res.headersSent) this.#res.writeHead(code, { 'content-type': 'application/json' });
  }
}

/**
 * Serves one streaming call of the gateway on `req`/`res` with `route`'s handler. A body that
 * is not JSON objects fails the call before it starts (as grpc-gateway answers: code 2, HTTP 500,
 * with Go's decoder's message) when its first object is bad; after that, a bad object ends the
 * requests (the call is half-closed, as grpc-gateway stops reading). A client that goes away
 * cancels the call.
 * @internal
 */
export function serveJsonStream(req: http.IncomingMessage, res: http.ServerResponse, route: StreamRoute, codec: StreamCodec, fail: (code: number, message: string) => void): void {
  const call = new GatewayCall(res, route, codec);
  const values = new JsonValues(MAX_VALUE_CHARS);
  let started = false;
  let ended = false;
  const start = (): void => {
    started = true;
    res.on('close', () => {
      // node:http2's compatibility response reports itself finished once its stream closed: ask the call.
      if (call.answered) return;
      call.cancelled = true;
      call.emit('cancelled');
    });
    (route.handler as (c: GatewayCall) => void)(call);
  };
  /** Decodes and sends one request; false (the call half-closed, or failed before it started) when it does not convert. */
  const send = (json: unknown): boolean => {
    let request: unknown;
    try {
      request = route.deserialize(codec.request(json));
    } catch (e) {
      stop(e instanceof Error ? e.message : String(e));
      return false;
    }
    if (!route.clientStreams) call.request = request;
    if (!started) start();
    if (route.clientStreams) call.push(request);
    return true;
  };
  const stop = (message?: string): void => {
    if (ended) return;
    ended = true;
    req.removeAllListeners('data');
    req.resume();
    if (!started && message !== undefined) {
      // Before the call: an error answer (grpc-gateway's for a bad first message; InvalidArgument for a server-streaming request).
      if (route.clientStreams) fail(Status.UNKNOWN, message);
      else fail(Status.INVALID_ARGUMENT, message);
      return;
    }
    if (!started) start();
    if (route.clientStreams) call.push(null);
  };
  req.setEncoding('utf8');
  req.on('data', (chunk: string) => {
    const { values: got, error } = values.feed(chunk);
    for (const v of got) {
      if (!send(v)) return;
      // A server-streaming call takes one request: the rest of the body is not read.
      if (!route.clientStreams) return stop();
    }
    if (error !== undefined) stop(error.message);
  });
  req.on('end', () => {
    if (ended) return;
    try {
      values.end();
    } catch (e) {
      stop((e as Error).message);
      return;
    }
    // An empty body: a server-streaming call runs with the empty request, a bidirectional one starts half-closed.
    if (!started && !route.clientStreams && !send({})) return;
    stop();
  });
}
