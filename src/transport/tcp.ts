import type * as net from 'node:net';
import { TLSSocket } from 'node:tls';
import { encodeFrame } from '../codec/frame.js';
import { encodeMessage, encodeMessageFrame } from '../codec/message.js';
import { ConfigInvalidError } from '../raft/errors.js';
import { MessageType, type Message } from '../raft/messages.js';
import { AbstractTransport, type TransportOptions } from './abstract-transport.js';
import { ListenFailedError, PeerRefusedError, SendFailedError } from './errors.js';
import { Channel, clusterIdBytes, encodeHandshake, MAX_CLUSTER_ID_BYTES } from './handshake.js';
import { InboundConnection, type InboundContext } from './inbound.js';
import { listenOptions } from './listen-options.js';
import { parseAddress, PeerLink, type PeerLinkContext, type ReconnectOptions } from './peer-link.js';
import { sendSnapshot, type SnapshotSendContext } from './snapshot-stream.js';
import { checkMemberBinding, checkTlsOptions, createConnector, createListener, type Connector, type TlsOptions } from './tls.js';

/** An address a {@link TcpTransport} listens on. */
export interface ListenAddress {
  /** The host (a name or an IP address). */
  host: string;
  /** The port; 0 picks a free one. */
  port: number;
}

/** Options of {@link TcpTransport}. Durations are in milliseconds. */
export interface TcpTransportOptions extends TransportOptions {
  /** The cluster's name, checked in every handshake (at most 255 UTF-8 bytes). Default `'raftkit'`. */
  clusterId?: string;
  /** The host to listen on. Default `'127.0.0.1'`. */
  host?: string;
  /** The port to listen on; 0 picks a free one (read it from `address` after `start()`). Default 0. */
  port?: number;
  /**
   * More addresses to listen on besides `host:port` (as etcd listens on every `--listen-peer-urls`
   * URL), each with the same TLS and the same rules; `addresses` lists them all once started.
   * `start()` fails, listening nowhere, when one cannot be listened on. Default none.
   */
  alsoListen?: readonly ListenAddress[];
  /** The most messages queued per peer; more are dropped with `unreachable`. Default 4096. */
  maxQueuedMessages?: number;
  /** The most bytes queued per peer; more are dropped with `unreachable`. Default 64 MiB. */
  maxQueuedBytes?: number;
  /** Reconnect backoff (default 50 ms doubling to 2 s, 20 % jitter). */
  reconnect?: ReconnectOptions;
  /** A uniform random number in `[0, 1)` for backoff jitter. Default `Math.random`. */
  random?: () => number;
  /** How long a connection attempt may take. Default 5000. */
  connectTimeoutMs?: number;
  /**
   * The deadline, from the moment a connection is accepted, for its TLS handshake and its
   * raftkit handshake together (a deadline, not an idle timer: trickling bytes does not
   * extend it). Default 5000.
   */
  handshakeTimeoutMs?: number;
  /** An identified inbound connection that receives nothing for this long is closed (the peer redials when it has something to send). Default 300 000 (5 minutes). */
  idleTimeoutMs?: number;
  /** The most accepted connections that have not yet identified themselves; more are closed at once (reason `too-many-connections`). Default 64. */
  maxUnidentifiedConnections?: number;
  /** The snapshot bytes per chunk frame (clamped to `maxFrameSize - 1`). Default 256 KiB. */
  snapshotChunkSize?: number;
  /** How long a snapshot transfer may make no progress before it fails. Default 30 000. */
  snapshotTimeoutMs?: number;
  /** The largest snapshot message accepted, in bytes. Default 1 GiB. */
  maxSnapshotSize?: number;
  /** Mutual TLS for every peer link; plain TCP when omitted. */
  tls?: TlsOptions;
  /** Set SO_REUSEPORT on the listeners (etcd's `--socket-reuse-port`; Node 22.12 or 23.1 on: an older Node ignores it). Default false. */
  reusePort?: boolean;
}

function positiveInt(v: number | undefined, dflt: number, field: string): number {
  const x = v ?? dflt;
  if (!Number.isSafeInteger(x) || x < 1) throw new ConfigInvalidError(`TcpTransport: ${field} must be a positive integer, got ${String(v)}`);
  return x;
}

function resolveReconnect(r: ReconnectOptions | undefined): Required<ReconnectOptions> {
  const out = { initialDelayMs: r?.initialDelayMs ?? 50, maxDelayMs: r?.maxDelayMs ?? 2000, jitter: r?.jitter ?? 0.2 };
  if (!(out.initialDelayMs > 0 && out.maxDelayMs >= out.initialDelayMs)) {
    throw new ConfigInvalidError('TcpTransport: reconnect needs 0 < initialDelayMs <= maxDelayMs');
  }
  if (!(out.jitter >= 0 && out.jitter <= 1)) throw new ConfigInvalidError('TcpTransport: reconnect.jitter must be in [0, 1]');
  return out;
}

/**
 * A `Transport` over TCP (`node:net`), or TLS (`node:tls`) with the `tls` option.
 *
 * **Connections.** Each member dials one outbound *message* connection per peer and only
 * writes on it; it receives on the connections its peers dial. So a pair of members uses two
 * one-way connections, and simultaneous dials need no tie-breaking. Each connection opens
 * with a handshake frame (cluster id, sender id, recipient id, channel); an accepted
 * connection from another cluster, for another member or from a member that is not a peer
 * is refused (`PeerRefusedError`) before any of its messages is read.
 *
 * **Frames.** Messages are length-prefixed binary frames from the codec (format version 2). Everything a
 * member sends to a peer in a row (one Ready's messages) goes out in one `write`, flushed
 * in a microtask once the sender's synchronous work is done. When `write` returns false, writing pauses until `'drain'`; meanwhile the
 * per-peer queue (bounded by `maxQueuedMessages` and `maxQueuedBytes`) fills, and messages
 * beyond the bound are dropped with `unreachable`. An oversize or malformed incoming frame is
 * counted (`framesRefused`), reported as a `FrameRefusedError` and closes that connection.
 *
 * **Reconnects.** A failed or lost connection emits `unreachable` and is redialled after a
 * capped exponential backoff with jitter; messages queue meanwhile (bounded).
 *
 * **Snapshots.** A `MsgSnap` goes on its own connection, cut into chunks, so heartbeats keep
 * flowing on the message connection; the receiver acknowledges it and the sender emits
 * `snapshot-status` `finish`, or `failure` if the transfer fails or times out. A newer
 * snapshot to the same peer aborts the older transfer, which is not reported (a status
 * names no snapshot, so it would be taken as the newer transfer's outcome).
 */
export class TcpTransport extends AbstractTransport {
  /** Where to listen: `host:port` first, then `alsoListen`. */
  readonly #listen: readonly ListenAddress[];
  readonly #clusterId: string;
  readonly #connect: Connector;
  readonly #tls: TlsOptions | undefined;
  readonly #linkBase: Omit<PeerLinkContext, 'peer' | 'handshake' | 'stats' | 'unreachable'>;
  readonly #snapshotBase: Omit<SnapshotSendContext, 'handshake' | 'peer'>;
  readonly #inbound: InboundContext;
  readonly #links = new Map<number, PeerLink>();
  readonly #snapshots = new Map<number, () => void>();
  readonly #sockets = new Set<net.Socket>();
  /** The remote endpoints of accepted connections that have not identified themselves yet. */
  readonly #unidentified = new Set<string>();
  readonly #maxUnidentified: number;
  readonly #byPeer = new Map<number, Set<net.Socket>>();
  #servers: net.Server[] = [];
  #addresses: string[] = [];
  readonly #reusePort: boolean;

  /** @throws `ConfigInvalidError` for an invalid option. */
  constructor(options: TcpTransportOptions) {
    super(options);
    this.#listen = [{ host: options.host ?? '127.0.0.1', port: options.port ?? 0 }, ...(options.alsoListen ?? [])];
    this.#reusePort = options.reusePort === true;
    for (const { host, port } of this.#listen) {
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigInvalidError(`TcpTransport: port must be in [0, 65535], got ${String(port)}`);
      if (typeof host !== 'string' || host === '') throw new ConfigInvalidError(`TcpTransport: host must be a non-empty string, got ${JSON.stringify(host)}`);
    }
    this.#clusterId = options.clusterId ?? 'raftkit';
    if (clusterIdBytes(this.#clusterId) > MAX_CLUSTER_ID_BYTES) throw new ConfigInvalidError('TcpTransport: clusterId is longer than 255 bytes');
    if (options.tls !== undefined) checkTlsOptions(options.tls);
    this.#tls = options.tls;
    this.#connect = createConnector(options.tls);
    const track = (s: net.Socket): void => this.#track(s);
    this.#linkBase = {
      connect: this.#connect,
      maxQueuedMessages: positiveInt(options.maxQueuedMessages, 4096, 'maxQueuedMessages'),
      maxQueuedBytes: positiveInt(options.maxQueuedBytes, 64 * 1024 * 1024, 'maxQueuedBytes'),
      reconnect: resolveReconnect(options.reconnect),
      random: options.random ?? Math.random,
      connectTimeoutMs: positiveInt(options.connectTimeoutMs, 5000, 'connectTimeoutMs'),
      track,
    };
    this.#snapshotBase = {
      connect: this.#connect,
      chunkSize: Math.min(positiveInt(options.snapshotChunkSize, 256 * 1024, 'snapshotChunkSize'), this.maxFrameSize - 1),
      timeoutMs: positiveInt(options.snapshotTimeoutMs, 30_000, 'snapshotTimeoutMs'),
      track,
    };
    if (this.#snapshotBase.chunkSize < 1) throw new ConfigInvalidError('TcpTransport: maxFrameSize must be at least 2');
    this.#maxUnidentified = positiveInt(options.maxUnidentifiedConnections, 64, 'maxUnidentifiedConnections');
    const bind = options.tls !== undefined && (options.tls.requestCert ?? true) && (options.tls.bindMemberId ?? true);
    this.#inbound = {
      id: this.id,
      idleTimeoutMs: positiveInt(options.idleTimeoutMs, 300_000, 'idleTimeoutMs'),
      ...(bind ? { checkIdentity: (from: number, socket: net.Socket) => checkMemberBinding(socket instanceof TLSSocket ? socket.getPeerCertificate() : undefined, from, `transport ${this.id}: accepting`) } : {}),
      clusterId: this.#clusterId,
      maxFrameSize: this.maxFrameSize,
      maxSnapshotSize: positiveInt(options.maxSnapshotSize, 1024 * 1024 * 1024, 'maxSnapshotSize'),
      handshakeTimeoutMs: positiveInt(options.handshakeTimeoutMs, 5000, 'handshakeTimeoutMs'),
      isPeer: (id) => this._peerAddress(id) !== undefined,
      receive: (from, m, bytes) => this._receive(from, m, bytes),
      receiveSnapshotStream: (from, m, body, settle) => this._receiveSnapshotStream(from, m, body, settle),
      refuse: (e) => this._refuse(e),
      countBytes: (from, bytes) => {
        this._stats(from).bytesReceived += bytes;
      },
      identified: (from, socket) => {
        this.#unidentified.delete(endpoint(socket));
        this.#identified(from, socket);
      },
    };
  }

  /** `host:port` (`[host]:port` for IPv6) once started, of the first address listened on; `undefined` before. */
  get address(): string | undefined {
    return this.#addresses[0];
  }

  /** Every address listened on (`host:port`, `[host]:port` for IPv6), in the order given; empty before `start()`. */
  get addresses(): readonly string[] {
    return this.#addresses;
  }

  /** Refuses addresses that are not `host:port`. */
  protected override _checkAddress(address: string): void {
    if (parseAddress(address) === undefined) throw new ConfigInvalidError(`TcpTransport: address must be host:port, got '${address}'`);
  }

  /** Listens on `host:port` and every `alsoListen` address; on a failure, closes those already listening. */
  protected override async _start(): Promise<void> {
    try {
      for (const { host, port } of this.#listen) {
        const server = await this.#listenOn(host, port);
        this.#servers.push(server);
        const a = server.address() as net.AddressInfo;
        this.#addresses.push(a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`);
      }
    } catch (e) {
      await Promise.all(this.#servers.map(closeServer));
      this.#servers = [];
      this.#addresses = [];
      throw e;
    }
  }

  #listenOn(host: string, port: number): Promise<net.Server> {
    const server = createListener(this.#tls, this.#inbound.handshakeTimeoutMs, (s) => new InboundConnection(this.#inbound, s), (e: PeerRefusedError) => this._refuse(e));
    server.on('connection', (s: net.Socket) => this.#accept(s));
    const where = `${host}:${port}`;
    return new Promise((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => {
        reject(new ListenFailedError(where, `TcpTransport ${this.id}: cannot listen on ${where}: ${err.code === 'EADDRINUSE' ? 'address in use' : err.message}`, { cause: err }));
      });
      server.listen(listenOptions(host, port, this.#reusePort), () => {
        server.removeAllListeners('error');
        server.on('error', (err) => this._error(err));
        resolve(server);
      });
    });
  }

  /** Routes a message: `MsgSnap` to its own streamed connection, the rest to the peer's queue. */
  protected _send(peer: number, message: Message): void {
    if (message.type === MessageType.MsgSnap) {
      this.#sendSnapshot(peer, message);
      return;
    }
    let frame: Uint8Array;
    try {
      frame = encodeMessageFrame(message, { maxFrameSize: this.maxFrameSize });
    } catch (err) {
      this._stats(peer).sendFailures++;
      this._error(new SendFailedError(peer, `transport ${this.id}: a message to ${peer} exceeds maxFrameSize`, { cause: err }));
      this._unreachable(peer);
      return;
    }
    this.#link(peer).enqueue(frame);
  }

  #link(peer: number): PeerLink {
    let link = this.#links.get(peer);
    if (link === undefined) {
      const handshake = encodeFrame(encodeHandshake({ channel: Channel.Messages, from: this.id, to: peer, clusterId: this.#clusterId }));
      const ctx: PeerLinkContext = {
        ...this.#linkBase,
        peer,
        handshake,
        stats: () => this._stats(peer),
        unreachable: () => this._unreachable(peer),
      };
      link = new PeerLink(ctx, this._peerAddress(peer)!);
      this.#links.set(peer, link);
    }
    return link;
  }

  /**
   * Sends a `MsgSnap` whose data is a reference, followed by the snapshot's bytes read from
   * `body` (see `Transport.sendSnapshotStream`). It goes on its own connection like any snapshot, as a head frame then the body's bytes in
   * chunk frames, written as the socket drains.
   */
  sendSnapshotStream(message: Message, body: AsyncIterable<Uint8Array>): void {
    if (this._admitSnapshotStream(message)) this.#sendSnapshot(message.to, message, body);
  }

  #sendSnapshot(peer: number, message: Message, body?: AsyncIterable<Uint8Array>): void {
    // A newer snapshot supersedes the one in flight, which is aborted without a status: Raft
    // sends a MsgSnap only once it stopped waiting for the previous one, and a snapshot status
    // names no snapshot, so a `failure` now would be taken as the newer transfer's outcome
    // (the leader would leave StateSnapshot, send another snapshot at the next heartbeat
    // response, abort this one, and so on while the follower is slow to answer).
    this.#snapshots.get(peer)?.();
    const record = encodeMessage(message);
    const handshake = encodeFrame(encodeHandshake({ channel: Channel.Snapshot, from: this.id, to: peer, clusterId: this.#clusterId }));
    const st = this._stats(peer);
    const abort = sendSnapshot({ ...this.#snapshotBase, handshake, peer }, this._peerAddress(peer)!, record, (ok, reason) => {
      if (this.#snapshots.get(peer) !== abort) return;
      this.#snapshots.delete(peer);
      if (ok) {
        st.messagesSent++;
        st.bytesSent += record.length;
      } else {
        this._error(new SendFailedError(peer, `transport ${this.id}: snapshot to ${peer} failed: ${reason}`));
        this._unreachable(peer);
      }
      this._snapshotStatus(peer, ok ? 'finish' : 'failure');
    }, body);
    this.#snapshots.set(peer, abort);
  }

  /** Redials the peer at its new address. */
  protected override _addPeer(id: number, address: string, previous: string | undefined): void {
    if (previous !== undefined) this.#links.get(id)?.setAddress(address);
  }

  /** Drops the peer's queue, its connections both ways and any snapshot in flight to it. */
  protected override _removePeer(id: number): void {
    this.#links.get(id)?.close();
    this.#links.delete(id);
    this.#snapshots.get(id)?.();
    this.#snapshots.delete(id);
    for (const s of this.#byPeer.get(id) ?? []) s.destroy();
    this.#byPeer.delete(id);
  }

  /** Messages waiting in the peer's queue. */
  protected override _queued(id: number): number {
    return this.#links.get(id)?.queued ?? 0;
  }

  /** Stops listening, destroys every socket, cancels every timer; resolves once all are closed. */
  protected override async _close(): Promise<void> {
    for (const link of this.#links.values()) link.close();
    this.#links.clear();
    for (const abort of this.#snapshots.values()) abort();
    this.#snapshots.clear();
    const closed = [...this.#sockets].map((s) => new Promise<void>((r) => (s.destroyed && s.closed ? r() : (s.once('close', () => r()), s.destroy()))));
    await Promise.all([...closed, ...this.#servers.map(closeServer)]);
  }

  /** Counts an accepted connection as unidentified until its handshake, refusing it beyond the cap. */
  #accept(s: net.Socket): void {
    this.#track(s);
    const key = endpoint(s);
    if (this.#unidentified.size >= this.#maxUnidentified) {
      this._refuse(new PeerRefusedError('too-many-connections', `transport ${this.id}: ${this.#unidentified.size} connections are still unidentified; closed ${key}`));
      s.destroy();
      return;
    }
    this.#unidentified.add(key);
    s.once('close', () => this.#unidentified.delete(key));
  }

  /** The number of accepted connections that have not identified themselves yet. */
  get unidentifiedConnections(): number {
    return this.#unidentified.size;
  }

  #track(s: net.Socket): void {
    this.#sockets.add(s);
    s.once('close', () => this.#sockets.delete(s));
    if (!this._live) s.destroy();
  }

  #identified(from: number, s: net.Socket): void {
    let set = this.#byPeer.get(from);
    if (set === undefined) this.#byPeer.set(from, (set = new Set()));
    set.add(s);
    s.once('close', () => set.delete(s));
  }
}

/** Stops `server` listening; resolves once it has closed (at once when it is not listening). */
function closeServer(server: net.Server): Promise<void> {
  return server.listening ? new Promise((r) => server.close(() => r())) : Promise.resolve();
}

/** `address:port` of the remote end of a socket (the same for a TLS socket and the TCP socket under it). */
function endpoint(s: net.Socket): string {
  return `${s.remoteAddress ?? '?'}:${s.remotePort ?? '?'}`;
}
