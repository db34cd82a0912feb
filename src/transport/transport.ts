import type { Message } from '../raft/messages.js';
import type { ResourceStatus } from '../storage/storage.js';

/** The events every transport emits (typed for `eventemitter3`). */
export interface TransportEvents {
  /** A message arrived from a peer (already decoded and validated). */
  message: (message: Message) => void;
  /** A message to `peer` could not be delivered (queue full, connection down); the driver calls `reportUnreachable`. */
  unreachable: (peer: number) => void;
  /** The outcome of sending a snapshot to `peer`; the driver calls `reportSnapshot`. */
  'snapshot-status': (peer: number, status: 'finish' | 'failure') => void;
  /** A non-fatal error (malformed frame, refused connection, …); the transport keeps running. */
  error: (error: Error) => void;
}

/** Per-peer counters of a transport. */
export interface PeerStats {
  /** Messages sent to the peer. */
  messagesSent: number;
  /** Bytes sent to the peer. */
  bytesSent: number;
  /** Messages received from the peer. */
  messagesReceived: number;
  /** Bytes received from the peer. */
  bytesReceived: number;
  /** Messages that could not be sent (dropped). */
  sendFailures: number;
  /** The latest measured round-trip time in milliseconds, if known. */
  rttMs?: number | undefined;
}

/**
 * The contract of a transport: it carries Raft messages between members. `send` never
 * blocks the caller: messages are queued per peer and delivered in order per peer, or
 * dropped with an `unreachable` event.
 */
export interface Transport {
  /** This member's id. */
  readonly id: number;
  /** The lifecycle status. */
  readonly status: ResourceStatus;
  /** Starts listening and connecting. */
  start(): Promise<void>;
  /** Queues messages for their recipients (`message.to`). Never throws for network reasons. */
  send(messages: readonly Message[]): void;
  /** Adds (or updates the address of) a peer. */
  addPeer(id: number, address: string): void;
  /** Removes a peer and drops its queue. */
  removePeer(id: number): void;
  /** Per-peer counters. */
  stats(): Map<number, PeerStats>;
  /** Stops, closing every connection and releasing every resource. */
  close(): Promise<void>;
  /** Subscribes to an event. */
  on<E extends keyof TransportEvents>(event: E, listener: TransportEvents[E]): this;
  /** Unsubscribes from an event. */
  off<E extends keyof TransportEvents>(event: E, listener: TransportEvents[E]): this;
}
