/**
 * etcd's websocket proxy of its JSON gateway (grpc-websocket-proxy around grpc-gateway, on
 * `/v3/`): a browser opens a websocket to a gateway path (`ws://host:2379/v3/watch`), each message
 * it sends is a line of the request body of a `POST` to that path, and each line of the response
 * body comes back as a text message. When the response ends, the connection is dropped (without a
 * close frame, as etcd's proxy drops it); when the client closes, the body ends and the call is
 * cancelled. So `/v3/watch` and `/v3/lease/keepalive` stream both ways, and a unary path answers
 * its first message.
 * @module
 */
import * as http from 'node:http';
import { Socket } from 'node:net';
import { PassThrough, Writable, type Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';

/** The largest websocket message taken from a client: the gateway's longest JSON request value, and some. */
const MAX_MESSAGE_BYTES = 4 * 1024 * 1024 + 64 * 1024;

/** The paths etcd's proxy serves (the gateway's). */
const GATEWAY_PATH = /^\/v3(?:beta)?\//;

/** What the proxy hands its requests to: the HTTP answerer of the client URLs. */
export type HttpAnswerer = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/**
 * The response of a proxied call, as the gateway's handlers write it (`writeHead`, `write`,
 * `end`): each complete line of the body is sent as a text message (the status and headers are
 * not: the connection was upgraded), and the end of the body drops the connection. A line is
 * written once the socket took it, so a client that reads slowly slows the call down.
 */
class WebsocketResponse extends Writable {
  statusCode = 200;
  headersSent = false;
  readonly #ws: WebSocket;
  /** The text after the last newline written. */
  #partial = '';

  constructor(ws: WebSocket) {
    super({ decodeStrings: false });
    this.#ws = ws;
  }

  writeHead(code: number): this {
    this.statusCode = code;
    this.headersSent = true;
    return this;
  }

  setHeader(): this {
    return this;
  }

  override _write(chunk: string | Buffer, _encoding: BufferEncoding, done: (e?: Error | null) => void): void {
    this.headersSent = true;
    const lines = (this.#partial + chunk.toString()).split('\n');
    this.#partial = lines.pop()!;
    this.#send(lines, done);
  }

  override _final(done: (e?: Error | null) => void): void {
    this.#send(this.#partial === '' ? [] : [this.#partial], () => {
      this.#ws.terminate();
      done();
    });
  }

  /** Sends `lines`, one message each; `done` once the socket took the last (or at once when the connection is gone). */
  #send(lines: readonly string[], done: () => void): void {
    if (lines.length === 0 || this.#ws.readyState !== WebSocket.OPEN) {
      done();
      return;
    }
    for (let i = 0; i < lines.length - 1; i++) this.#ws.send(lines[i]!);
    this.#ws.send(lines[lines.length - 1]!, () => done());
  }
}

/**
 * Serves websocket upgrades on a client URL's HTTP/1 connections as etcd does: under the
 * gateway's paths, through the gateway; any other request that asks for an upgrade is answered
 * as a plain HTTP request (etcd's proxy passes it on).
 * @internal
 */
export class GatewayWebsocket {
  readonly #wss = new WebSocketServer({ noServer: true, clientTracking: false, maxPayload: MAX_MESSAGE_BYTES, perMessageDeflate: false });
  readonly #answer: HttpAnswerer;
  readonly #admit: (req: http.IncomingMessage) => boolean;

  /**
   * @param answer - the client URLs' HTTP answerer (the gateway and etcd's endpoints).
   * @param admit - whether an upgrade may be made (etcd's access controller runs before its proxy); one that may not is answered as plain HTTP.
   */
  constructor(answer: HttpAnswerer, admit: (req: http.IncomingMessage) => boolean = () => true) {
    this.#answer = answer;
    this.#admit = admit;
  }

  /** Handles an HTTP/1 request that asked for an upgrade (node:http's `upgrade` event). */
  upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = (req.url ?? '/').split('?')[0]!;
    if (!GATEWAY_PATH.test(path) || (req.headers.upgrade ?? '').toLowerCase() !== 'websocket' || !this.#admit(req)) {
      // node:http's sockets are net.Socket (TLSSocket over TLS), which a response writes to.
      if (!(socket instanceof Socket)) {
        socket.destroy();
        return;
      }
      const res = new http.ServerResponse(req);
      res.shouldKeepAlive = false;
      res.assignSocket(socket);
      res.on('finish', () => socket.end());
      this.#answer(req, res);
      return;
    }
    socket.on('error', () => socket.destroy());
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#serve(req, ws));
  }

  /** Runs one proxied call: the messages are the request body's lines; the response's lines are the messages sent. */
  #serve(upgrade: http.IncomingMessage, ws: WebSocket): void {
    const body = Object.assign(new PassThrough(), { method: 'POST', url: upgrade.url, headers: upgrade.headers, httpVersion: upgrade.httpVersion, socket: upgrade.socket });
    const res = new WebsocketResponse(ws);
    ws.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => {
      if (body.writableEnded) return;
      body.write(Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data));
      body.write('\n');
    });
    ws.on('error', () => ws.terminate());
    ws.on('close', () => {
      body.end();
      // The call is cancelled when its client goes (a stream ends, a unary answer is dropped).
      res.destroy();
    });
    this.#answer(body as unknown as http.IncomingMessage, res as unknown as http.ServerResponse);
  }
}
