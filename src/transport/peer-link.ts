import type * as net from 'node:net';
import type { PeerStats } from './transport.js';
import type { Connector } from './tls.js';

/** Reconnection policy of a TCP transport: capped exponential backoff with jitter. */
export interface ReconnectOptions {
  /** The delay before the first retry, in milliseconds. Default 50. */
  initialDelayMs?: number;
  /** The largest delay between retries, in milliseconds. Default 2000. */
  maxDelayMs?: number;
  /** The fraction of each delay that is randomly removed, in `[0, 1]`. Default 0.2. */
  jitter?: number;
}

/**
 * Everything a {@link PeerLink} needs from its transport.
 * @internal
 */
export interface PeerLinkContext {
  /** The peer's id (for messages). */
  readonly peer: number;
  /** Opens sockets (TCP or TLS). */
  readonly connect: Connector;
  /** The handshake frame written first on every connection. */
  readonly handshake: Uint8Array;
  /** Queue bounds. */
  readonly maxQueuedMessages: number;
  /** Queue bound in bytes. */
  readonly maxQueuedBytes: number;
  /** Reconnect policy, resolved. */
  readonly reconnect: Required<ReconnectOptions>;
  /** A uniform random number in `[0, 1)` for jitter. */
  readonly random: () => number;
  /** How long a connection attempt may take, in milliseconds. */
  readonly connectTimeoutMs: number;
  /** The peer's live counters. */
  stats(): PeerStats;
  /** Reports the peer unreachable (deferred, deduplicated by the transport). */
  unreachable(): void;
  /** Tracks a socket so that the transport's close() can wait for it. */
  track(socket: net.Socket): void;
}

/**
 * Parses `host:port` (or `[v6]:port`); returns undefined when malformed.
 * @internal
 */
export function parseAddress(address: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(address);
  if (m === null) return undefined;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return undefined;
  return { host: (m[1] ?? m[2])!, port };
}

/**
 * The outbound message connection to one peer: a bounded queue of encoded frames, written in
 * one batch per microtask checkpoint (everything one caller sends in a row), with socket backpressure, and reconnected with capped
 * exponential backoff and jitter when it fails. It only writes: the peer's messages to us
 * come on the connection the peer dials.
 *
 * Invariant: `queue.length <= maxQueuedMessages` and `queuedBytes <= maxQueuedBytes`.
 * @internal
 */
export class PeerLink {
  readonly #ctx: PeerLinkContext;
  #address: string;
  #queue: Uint8Array[] = [];
  #queuedBytes = 0;
  #socket: net.Socket | undefined = undefined;
  #connected = false;
  #awaitingDrain = false;
  #flushQueued = false;
  /** Whether a microtask flush wrote in this turn of the event loop (cleared at its check phase). */
  #wroteThisTurn = false;
  #backoffTimer: NodeJS.Timeout | undefined = undefined;
  #failures = 0;
  #closed = false;

  constructor(ctx: PeerLinkContext, address: string) {
    this.#ctx = ctx;
    this.#address = address;
  }

  /** Messages waiting to be written. */
  get queued(): number {
    return this.#queue.length;
  }

  /** Whether the connection is established. */
  get connected(): boolean {
    return this.#connected;
  }

  /** Queues one encoded frame; drops it (sendFailures, unreachable) when the queue is full. */
  enqueue(frame: Uint8Array): void {
    if (this.#closed) return;
    if (this.#queue.length >= this.#ctx.maxQueuedMessages || this.#queuedBytes + frame.length > this.#ctx.maxQueuedBytes) {
      this.#ctx.stats().sendFailures++;
      this.#ctx.unreachable();
      return;
    }
    // A frame that cannot be written now may wait long (the peer is down, or the socket
    // pushes back), and an encoded frame is often a view into the encoder's shared buffer,
    // several times its size: keep a compact copy, so a dead peer's queue holds its frames'
    // bytes rather than every buffer they were cut from.
    const queued = !this.#writable() && frame.buffer.byteLength > 2 * frame.byteLength ? frame.slice() : frame;
    // Usually the only frame of its batch: a one-element array (a push would reserve room for 17).
    if (this.#queue.length === 0) this.#queue = [queued];
    else this.#queue.push(queued);
    this.#queuedBytes += frame.length;
    if (!this.#flushQueued) {
      this.#flushQueued = true;
      // The first batch of a turn of the event loop is flushed once the caller's synchronous
      // work and the microtasks queued so far are done: every frame of one Ready goes out in
      // one write, without waiting for the check phase (on a 1-in-flight put that wait is on
      // the critical path). Later batches of the same turn wait for its check phase and go
      // out in one write: under load a leader answered every socket read and every request
      // with a write to each follower, a system call each, which took a quarter of its busy
      // time.
      if (this.#wroteThisTurn) setImmediate(this.#flushAtCheckPhase);
      else queueMicrotask(this.#flushSoon);
    }
  }

  /** The microtask `enqueue` queues: one function for the link's life, not a closure per batch. */
  readonly #flushSoon = (): void => {
    this.#flushQueued = false;
    if (this.#flush() && !this.#wroteThisTurn) {
      this.#wroteThisTurn = true;
      setImmediate(this.#turnEnded);
    }
  };

  /**
   * The task `enqueue` queues for the turn's check phase. Its write is the turn's last: it does
   * not mark the link, so the next turn's first batch goes out at once.
   */
  readonly #flushAtCheckPhase = (): void => {
    this.#flushQueued = false;
    this.#flush();
  };

  /** The check phase of a turn in which this link wrote: the next batch may go out at once again. */
  readonly #turnEnded = (): void => {
    this.#wroteThisTurn = false;
  };

  /** Points the link at a new address: the current connection is dropped and redialled after the initial backoff delay. */
  setAddress(address: string): void {
    this.#address = address;
    this.#failures = 0;
    if (this.#backoffTimer !== undefined) {
      clearTimeout(this.#backoffTimer);
      this.#backoffTimer = undefined;
    }
    this.#socket?.destroy();
  }

  /** Drops the queue and the connection; resolves once the socket is closed. */
  close(): void {
    this.#closed = true;
    this.#queue = [];
    this.#queuedBytes = 0;
    if (this.#backoffTimer !== undefined) clearTimeout(this.#backoffTimer);
    this.#socket?.destroy();
  }

  /** Whether a frame queued now is written at the next flush. */
  #writable(): boolean {
    return this.#connected && !this.#awaitingDrain;
  }

  /** Writes the queued frames when the link can; returns whether it wrote. */
  #flush(): boolean {
    if (this.#closed || this.#queue.length === 0) return false;
    if (this.#socket === undefined) {
      if (this.#backoffTimer === undefined) this.#dial();
      return false;
    }
    if (!this.#connected || this.#awaitingDrain) return false;
    const frames = this.#queue;
    const bytes = this.#queuedBytes;
    this.#queue = [];
    this.#queuedBytes = 0;
    const st = this.#ctx.stats();
    st.messagesSent += frames.length;
    st.bytesSent += bytes;
    // One write per batch: every frame queued since the last flush.
    const ok = this.#socket.write(frames.length === 1 ? frames[0]! : Buffer.concat(frames, bytes));
    if (!ok) this.#awaitingDrain = true; // resume on 'drain'; meanwhile the bounded queue fills
    return true;
  }

  #dial(): void {
    const target = parseAddress(this.#address);
    if (target === undefined) return; // validated by addPeer; unreachable in practice
    const socket = this.#ctx.connect(target.host, target.port, () => {
      if (this.#socket !== socket) return;
      socket.setTimeout(0);
      this.#connected = true;
      this.#failures = 0;
      this.#ctx.stats().connects++;
      socket.write(this.#ctx.handshake);
      this.#flush();
    }, this.#ctx.peer);
    this.#socket = socket;
    this.#ctx.track(socket);
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 10_000);
    socket.setTimeout(this.#ctx.connectTimeoutMs, () => socket.destroy());
    socket.on('drain', () => {
      this.#awaitingDrain = false;
      this.#flush();
    });
    socket.on('data', () => socket.destroy()); // the listener never writes on a message channel
    socket.on('error', () => undefined); // followed by 'close'
    socket.on('close', () => this.#onClose(socket));
  }

  #onClose(socket: net.Socket): void {
    if (this.#socket !== socket) return;
    this.#socket = undefined;
    this.#connected = false;
    this.#awaitingDrain = false;
    if (this.#closed) return;
    this.#ctx.stats().connectFailures++;
    this.#ctx.unreachable();
    const { initialDelayMs, maxDelayMs, jitter } = this.#ctx.reconnect;
    const base = Math.min(maxDelayMs, initialDelayMs * 2 ** Math.min(this.#failures, 30));
    this.#failures++;
    const delay = base * (1 - jitter * this.#ctx.random());
    this.#backoffTimer = setTimeout(() => {
      this.#backoffTimer = undefined;
      this.#flush();
    }, delay);
  }
}
