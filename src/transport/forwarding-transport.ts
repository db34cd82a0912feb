import { EventEmitter } from 'eventemitter3';
import type { ResourceStatus } from '../lifecycle.js';
import type { Message } from '../raft/messages.js';
import type { PeerStats, Transport, TransportEvents } from './transport.js';

/**
 * A transport that hands every call to another transport and re-emits its events: the base
 * for wrappers that change a little of a working transport (trace messages, cut a member off
 * the network, delay or drop some traffic) and forward the rest.
 *
 * A subclass overrides what it changes and calls `super` for the rest:
 * - outgoing: `send`, and {@link ForwardingTransport._sendSnapshotStream} for streamed
 *   snapshots (the public `sendSnapshotStream` exists only when the inner transport has it,
 *   so a replica sends snapshots the same way through the wrapper as without it);
 * - incoming: every event of the inner transport goes through
 *   {@link ForwardingTransport._forward}, which emits it on the wrapper (a streamed snapshot
 *   nobody listens to is refused, as a transport without a `snapshot-stream` listener does).
 *
 * The optional members of {@link Transport} (`checkAddress`, `sendSnapshotStream`,
 * `maxFrameSize`) are forwarded when the inner transport has them and absent otherwise.
 * The wrapper subscribes to the inner transport's events when it is constructed: wrap a
 * transport before anyone else listens to it, and use only the wrapper from then on.
 */
export class ForwardingTransport extends EventEmitter<TransportEvents> implements Transport {
  /** The wrapped transport. */
  protected readonly inner: Transport;
  /** The inner transport's frame limit, when it has one. */
  declare readonly maxFrameSize?: number;
  /** Checks an address as the inner transport would; present when the inner transport has `checkAddress`. */
  declare readonly checkAddress?: (address: string) => void;
  /**
   * Sends a streamed snapshot through {@link ForwardingTransport._sendSnapshotStream};
   * present when the inner transport has `sendSnapshotStream`.
   */
  declare readonly sendSnapshotStream?: (message: Message, body: AsyncIterable<Uint8Array>) => void;

  /** @param inner - the transport every call goes to. */
  constructor(inner: Transport) {
    super();
    this.inner = inner;
    const self = this as { -readonly [K in 'maxFrameSize' | 'checkAddress' | 'sendSnapshotStream']?: Transport[K] };
    if (inner.maxFrameSize !== undefined) self.maxFrameSize = inner.maxFrameSize;
    if (inner.checkAddress !== undefined) self.checkAddress = (address) => inner.checkAddress?.(address);
    if (inner.sendSnapshotStream !== undefined) self.sendSnapshotStream = (message, body) => this._sendSnapshotStream(message, body);
    inner.on('message', (m) => this._forward('message', m));
    inner.on('unreachable', (peer) => this._forward('unreachable', peer));
    inner.on('snapshot-stream', (m, body, settle) => this._forward('snapshot-stream', m, body, settle));
    inner.on('snapshot-status', (peer, status) => this._forward('snapshot-status', peer, status));
    inner.on('error', (err) => this._forward('error', err));
  }

  /** The inner transport's member id. */
  get id(): number {
    return this.inner.id;
  }

  /** The inner transport's lifecycle status. */
  get status(): ResourceStatus {
    return this.inner.status;
  }

  /** The inner transport's address. */
  get address(): string | undefined {
    return this.inner.address;
  }

  /** Starts the inner transport. */
  start(): Promise<void> {
    return this.inner.start();
  }

  /** Sends through the inner transport. */
  send(messages: readonly Message[]): void {
    this.inner.send(messages);
  }

  /** Adds the peer to the inner transport. */
  addPeer(id: number, address: string): void {
    this.inner.addPeer(id, address);
  }

  /** Removes the peer from the inner transport. */
  removePeer(id: number): void {
    this.inner.removePeer(id);
  }

  /** The inner transport's counters. */
  stats(): Map<number, PeerStats> {
    return this.inner.stats();
  }

  /** Closes the inner transport. */
  close(): Promise<void> {
    return this.inner.close();
  }

  /**
   * Sends a streamed snapshot through the inner transport (called by `sendSnapshotStream`,
   * which exists only when the inner transport has it). Override to change it; a subclass
   * that drops the snapshot must report it with a `snapshot-status` `'failure'` event, or the
   * leader waits for the outcome.
   */
  protected _sendSnapshotStream(message: Message, body: AsyncIterable<Uint8Array>): void {
    this.inner.sendSnapshotStream?.(message, body);
  }

  /**
   * Emits an event of the inner transport on this one. Override to hold, drop or observe
   * incoming traffic (drop an event with {@link ForwardingTransport._drop}).
   */
  protected _forward<E extends keyof TransportEvents>(event: E, ...args: Parameters<TransportEvents[E]>): void {
    if (event === 'snapshot-stream' && this.listenerCount('snapshot-stream') === 0) return this._drop(event, ...args);
    this.emit(event, ...(args as EventEmitter.EventArgs<TransportEvents, E>));
  }

  /**
   * Drops an event of the inner transport instead of forwarding it: a dropped `snapshot-stream`
   * is settled as not taken (`settle(false)`), so its sender learns the outcome.
   */
  protected _drop<E extends keyof TransportEvents>(event: E, ...args: Parameters<TransportEvents[E]>): void {
    if (event === 'snapshot-stream') (args as Parameters<TransportEvents['snapshot-stream']>)[2](false);
  }
}
