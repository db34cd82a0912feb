import { EventEmitter } from 'eventemitter3';
import { checkMaxFrameSize, DEFAULT_MAX_FRAME_SIZE } from '../codec/frame.js';
import { ConfigInvalidError } from '../raft/errors.js';
import { isLocalMessage, isMessageType, MessageType, MessageTypeName, type Message } from '../raft/messages.js';
import { NotOpenError, type ResourceStatus } from '../lifecycle.js';
import { FrameRefusedError, PeerRefusedError } from './errors.js';
import {
  emptyPeerStats,
  UNIDENTIFIED_PEER,
  type PeerStats,
  type SnapshotSendStatus,
  type Transport,
  type TransportEvents,
} from './transport.js';

/** The options every transport takes. */
export interface TransportOptions {
  /** This member's id: a positive safe integer. */
  id: number;
  /**
   * The largest frame payload, in bytes, this transport sends or accepts; larger incoming
   * frames are refused and their connection closed. Default 16 MiB (the codec's default).
   */
  maxFrameSize?: number;
  /**
   * How many messages may be queued while the transport is still `'opening'` (before
   * `start()` resolves); more are dropped with `unreachable`. Default 4096.
   */
  maxDeferredMessages?: number;
}

const DEFAULT_MAX_DEFERRED = 4096;

function isMemberId(id: unknown): id is number {
  return typeof id === 'number' && Number.isSafeInteger(id) && id > 0;
}

/**
 * The base class for implementers of {@link Transport} (STYLE rule 10): the public methods
 * check the lifecycle and validate their arguments, then call `protected _methods` with
 * normalised arguments. It owns the typed event emitter, the peer table, the per-peer
 * counters, the `'opening'` deferral queue and the close sequence.
 *
 * An implementer writes `address`, `_send` and usually `_start`, `_close`, `_addPeer`,
 * `_removePeer`; it hands what it receives to {@link AbstractTransport._receive} and what it
 * refuses to {@link AbstractTransport._refuse}, and reports failures with
 * {@link AbstractTransport._unreachable} and {@link AbstractTransport._snapshotStatus}.
 * Those helpers never emit once `close()` was called.
 */
export abstract class AbstractTransport extends EventEmitter<TransportEvents> implements Transport {
  readonly id: number;
  /** The largest frame payload sent or accepted, in bytes. */
  readonly maxFrameSize: number;
  #status: ResourceStatus = 'opening';
  #starting: Promise<void> | undefined = undefined;
  #closing: Promise<void> | undefined = undefined;
  #deferred: Message[] = [];
  readonly #maxDeferred: number;
  readonly #peers = new Map<number, string>();
  readonly #stats = new Map<number, PeerStats>();
  readonly #unreachablePending = new Set<number>();

  /**
   * @param options - the member id and limits.
   * @throws `ConfigInvalidError` for an invalid id, `maxFrameSize` or `maxDeferredMessages`.
   */
  constructor(options: TransportOptions) {
    super();
    if (!isMemberId(options.id)) throw new ConfigInvalidError(`transport: id must be a positive safe integer, got ${String(options.id)}`);
    this.id = options.id;
    this.maxFrameSize = checkMaxFrameSize(options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE);
    const maxDeferred = options.maxDeferredMessages ?? DEFAULT_MAX_DEFERRED;
    if (!Number.isSafeInteger(maxDeferred) || maxDeferred < 0) {
      throw new ConfigInvalidError(`transport: maxDeferredMessages must be a non-negative integer, got ${maxDeferred}`);
    }
    this.#maxDeferred = maxDeferred;
  }

  get status(): ResourceStatus {
    return this.#status;
  }

  abstract get address(): string | undefined;

  start(): Promise<void> {
    if (this.#status === 'closing' || this.#status === 'closed') {
      return Promise.reject(new NotOpenError(`transport ${this.id}: start`, this.#status));
    }
    this.#starting ??= this.#runStart();
    return this.#starting;
  }

  async #runStart(): Promise<void> {
    try {
      await this._start();
    } catch (err) {
      if (this.#status === 'opening') {
        this.#status = 'closing';
        await this._close().catch(() => undefined);
        this.#status = 'closed';
      }
      throw err;
    }
    if (this.#status !== 'opening') return; // closed while starting
    this.#status = 'open';
    const deferred = this.#deferred;
    this.#deferred = [];
    for (const m of deferred) this.#route(m);
  }

  send(messages: readonly Message[]): void {
    if (this.#status === 'closing' || this.#status === 'closed') {
      throw new NotOpenError(`transport ${this.id}: send`, this.#status);
    }
    for (const m of messages) this.#checkOutgoing(m);
    for (const m of messages) {
      if (this.#status === 'open') this.#route(m);
      else if (this.#deferred.length < this.#maxDeferred) this.#deferred.push(m);
      else this.#drop(m.to);
    }
  }

  #checkOutgoing(m: Message): void {
    if (typeof m !== 'object' || m === null || !isMessageType(m.type)) {
      throw new TypeError(`transport ${this.id}: send: not a Raft message`);
    }
    if (isLocalMessage(m.type)) throw new TypeError(`transport ${this.id}: send: ${MessageTypeName[m.type]} is local and never travels`);
    if (m.from !== this.id) throw new TypeError(`transport ${this.id}: send: message from ${m.from}, not from this member`);
    if (!isMemberId(m.to) || m.to === this.id) throw new TypeError(`transport ${this.id}: send: invalid recipient ${m.to}`);
  }

  /**
   * Checks a streamed snapshot for {@link Transport.sendSnapshotStream} as `send` checks
   * messages (throws `NotOpenError` once closed, `TypeError` for a message that is not this
   * member's `MsgSnap`); returns whether it may go now, or drops it (an unknown peer, or the
   * transport is not open yet) and returns false.
   */
  protected _admitSnapshotStream(m: Message): boolean {
    if (this.#status === 'closing' || this.#status === 'closed') {
      throw new NotOpenError(`transport ${this.id}: sendSnapshotStream`, this.#status);
    }
    this.#checkOutgoing(m);
    if (m.type !== MessageType.MsgSnap) throw new TypeError(`transport ${this.id}: sendSnapshotStream: ${MessageTypeName[m.type]} is not MsgSnap`);
    if (this.#status === 'open' && this.#peers.has(m.to)) return true;
    this.#drop(m.to);
    return false;
  }

  #route(m: Message): void {
    if (this.#peers.has(m.to)) this._send(m.to, m);
    else this.#drop(m.to);
  }

  #drop(peer: number): void {
    const st = this.#stats.get(peer);
    if (st !== undefined) st.sendFailures++;
    this._unreachable(peer);
  }

  /**
   * Checks that `address` is one this transport can dial, without adding anything.
   *
   * @throws `ConfigInvalidError` naming the address.
   */
  checkAddress(address: string): void {
    if (typeof address !== 'string' || address.length === 0) throw new ConfigInvalidError(`transport ${this.id}: an address must be a non-empty string`);
    this._checkAddress(address);
  }

  addPeer(id: number, address: string): void {
    this.#checkNotClosed('addPeer');
    if (!isMemberId(id)) throw new ConfigInvalidError(`transport ${this.id}: addPeer: id must be a positive safe integer, got ${String(id)}`);
    if (id === this.id) throw new ConfigInvalidError(`transport ${this.id}: addPeer: a member is not its own peer`);
    if (typeof address !== 'string' || address.length === 0) {
      throw new ConfigInvalidError(`transport ${this.id}: addPeer: address of peer ${id} must be a non-empty string`);
    }
    this._checkAddress(address);
    const previous = this.#peers.get(id);
    if (previous === address) return;
    this.#peers.set(id, address);
    if (!this.#stats.has(id)) this.#stats.set(id, emptyPeerStats());
    this._addPeer(id, address, previous);
  }

  removePeer(id: number): void {
    this.#checkNotClosed('removePeer');
    if (!this.#peers.delete(id)) return;
    this.#deferred = this.#deferred.filter((m) => m.to !== id);
    this._removePeer(id);
    this.#stats.delete(id);
  }

  stats(): Map<number, PeerStats> {
    const out = new Map<number, PeerStats>();
    for (const [id, st] of this.#stats) out.set(id, { ...st, queued: id === UNIDENTIFIED_PEER ? 0 : this._queued(id) });
    return out;
  }

  close(): Promise<void> {
    this.#closing ??= this.#runClose();
    return this.#closing;
  }

  async #runClose(): Promise<void> {
    if (this.#status === 'closed') return;
    this.#status = 'closing';
    this.#deferred = [];
    if (this.#starting !== undefined) await this.#starting.catch(() => undefined);
    try {
      await this._close();
    } finally {
      this.#status = 'closed';
    }
  }

  /** Closes the transport (`await using transport = …`). */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #checkNotClosed(call: string): void {
    if (this.#status === 'closing' || this.#status === 'closed') throw new NotOpenError(`transport ${this.id}: ${call}`, this.#status);
  }

  /** Whether events may still be emitted (the transport was not asked to close). */
  protected get _live(): boolean {
    return this.#status === 'opening' || this.#status === 'open';
  }

  /** The address of a peer, or `undefined` if it is not (or no longer) a peer. */
  protected _peerAddress(id: number): string | undefined {
    return this.#peers.get(id);
  }

  /** The ids of the current peers. */
  protected _peerIds(): number[] {
    return [...this.#peers.keys()];
  }

  /**
   * The mutable counters of a peer ({@link UNIDENTIFIED_PEER} included); a scratch record,
   * never kept, for a peer that was removed meanwhile.
   */
  protected _stats(id: number): PeerStats {
    let st = this.#stats.get(id);
    if (st === undefined) {
      st = emptyPeerStats();
      if (id === UNIDENTIFIED_PEER || this.#peers.has(id)) this.#stats.set(id, st);
    }
    return st;
  }

  /**
   * Delivers a message received from the identified peer `from` (`bytes` long on the wire):
   * refuses it, returning `false`, when `from` is not a peer, the message claims another
   * sender, is addressed to another member or is a local message type.
   */
  protected _receive(from: number, message: Message, bytes: number): boolean {
    if (!this.#admit(from, message)) return false;
    const st = this._stats(from);
    st.messagesReceived++;
    st.bytesReceived += bytes;
    this.emit('message', message);
    return true;
  }

  /**
   * Delivers a streamed snapshot received from the identified peer `from` (see
   * {@link TransportEvents}'s `snapshot-stream`): refuses it as {@link AbstractTransport._receive}
   * does, and when nobody listens to `snapshot-stream`. `settle` is called by the listener once
   * it has stored the body (or gave up).
   */
  protected _receiveSnapshotStream(from: number, message: Message, body: AsyncIterable<Uint8Array>, settle: (accepted: boolean) => void): boolean {
    if (message.type !== MessageType.MsgSnap || this.listenerCount('snapshot-stream') === 0 || !this.#admit(from, message)) return false;
    this._stats(from).messagesReceived++;
    this.emit('snapshot-stream', message, body, settle);
    return true;
  }

  /** Whether a message from the identified peer `from` may be delivered; refuses it otherwise. */
  #admit(from: number, message: Message): boolean {
    if (!this._live) return false;
    if (!this.#peers.has(from)) {
      this._refuse(new PeerRefusedError('unknown-peer', `transport ${this.id}: refused a message from unknown member ${from}`, from));
      return false;
    }
    let problem: string | undefined;
    if (message.from !== from) problem = `claims to be from ${message.from}`;
    else if (message.to !== this.id) problem = `is addressed to ${message.to}`;
    else if (isLocalMessage(message.type)) problem = `is local (${MessageTypeName[message.type]})`;
    if (problem !== undefined) {
      this._refuse(new FrameRefusedError('unexpected', `transport ${this.id}: a message from ${from} ${problem}`, from));
      return false;
    }
    return true;
  }


  /**
   * Counts a refusal (a `FrameRefusedError` against its identified peer, a `PeerRefusedError`
   * under {@link UNIDENTIFIED_PEER}) and emits it as an `error` event.
   */
  protected _refuse(error: PeerRefusedError | FrameRefusedError): void {
    if (!this._live) return;
    // A refused peer was never identified (its claimed id is not trusted); a refused frame
    // counts against the identified peer that sent it.
    const peer = error instanceof FrameRefusedError && error.peer !== undefined && this.#peers.has(error.peer) ? error.peer : UNIDENTIFIED_PEER;
    this._stats(peer).framesRefused++;
    this.emit('error', error);
  }

  /** Emits a non-fatal `error` event (unless closing). */
  protected _error(error: Error): void {
    if (this._live) this.emit('error', error);
  }

  /**
   * Emits `unreachable(peer)` at the end of the current turn (a microtask), at most once per
   * peer per turn, so that it never re-enters the caller of `send`.
   */
  protected _unreachable(peer: number): void {
    if (!this._live || this.#unreachablePending.has(peer)) return;
    this.#unreachablePending.add(peer);
    queueMicrotask(() => {
      this.#unreachablePending.delete(peer);
      if (this._live) this.emit('unreachable', peer);
    });
  }

  /** Counts and emits the outcome of a snapshot sent to `peer`, in a later microtask. */
  protected _snapshotStatus(peer: number, status: SnapshotSendStatus): void {
    if (!this._live) return;
    const st = this._stats(peer);
    if (status === 'finish') st.snapshotsSent++;
    else st.snapshotsFailed++;
    queueMicrotask(() => {
      if (this._live) this.emit('snapshot-status', peer, status);
    });
  }

  /**
   * Validates an address for `addPeer`; throw `ConfigInvalidError` to refuse it. The default
   * accepts any non-empty string.
   */
  protected _checkAddress(_address: string): void {}

  /** Starts the implementation (listen, …). Default: nothing. */
  protected _start(): Promise<void> {
    return Promise.resolve();
  }

  /**
   * Queues one validated message for `peer`, a current peer. Called only while `'open'`, in
   * `send` order; must not throw for network reasons and must not emit synchronously.
   */
  protected abstract _send(peer: number, message: Message): void;

  /** A peer was added (`previous` undefined) or its address changed. Default: nothing. */
  protected _addPeer(_id: number, _address: string, _previous: string | undefined): void {}

  /** A peer was removed: drop its queue and connections. Default: nothing. */
  protected _removePeer(_id: number): void {}

  /** How many messages wait in the peer's queue (for `stats().queued`). Default: 0. */
  protected _queued(_id: number): number {
    return 0;
  }

  /** Releases every resource; called once, after `start()` settled. Default: nothing. */
  protected _close(): Promise<void> {
    return Promise.resolve();
  }
}
