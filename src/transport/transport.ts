import type { EventEmitter } from 'eventemitter3';
import type { Message } from '../raft/messages.js';
import type { ResourceStatus } from '../lifecycle.js';

/** The outcome of sending a snapshot, reported through the `snapshot-status` event. */
export type SnapshotSendStatus = 'finish' | 'failure';

/**
 * The events every transport emits (typed for `eventemitter3`). No event is emitted once
 * `close()` has been called.
 */
export interface TransportEvents {
  /** A message arrived from a known peer, already decoded, validated and addressed to this member. */
  message: (message: Message) => void;
  /**
   * A message to `peer` could not be delivered (queue full, connection refused or lost, unknown
   * peer); the driver calls `reportUnreachable(peer)`. It may fire several times per outage.
   */
  unreachable: (peer: number) => void;
  /**
   * A streamed snapshot arrived (sent with {@link Transport.sendSnapshotStream}): `message` is
   * the `MsgSnap` (its data a reference), `body` yields the snapshot's bytes as they arrive
   * (read it promptly: the connection waits while it lags). The listener stores the body,
   * then calls `settle(true)` to acknowledge it (or `settle(false)` to refuse it) and steps the
   * message. Without a listener streamed snapshots are refused.
   */
  'snapshot-stream': (message: Message, body: AsyncIterable<Uint8Array>, settle: (accepted: boolean) => void) => void;
  /** The outcome of sending a snapshot (`MsgSnap`) to `peer`; the driver calls `reportSnapshot`. */
  'snapshot-status': (peer: number, status: SnapshotSendStatus) => void;
  /**
   * A non-fatal error: a refused peer, an oversize or malformed frame, a failed listener
   * socket… The transport keeps running; the errors are `RaftkitError`s with stable codes
   * (`ERR_PEER_REFUSED`, `ERR_FRAME_REFUSED`, …).
   */
  error: (error: Error) => void;
}

/**
 * The key under which {@link Transport.stats} counts what cannot be attributed to a member:
 * connections refused before their sender was identified (bad certificate, bad handshake,
 * unknown member). 0 is never a Raft member id.
 */
export const UNIDENTIFIED_PEER = 0;

/** Per-peer counters of a transport. All counters start at 0 and only grow, except `queued`. */
export interface PeerStats {
  /** Messages handed to the network for the peer (written to its socket, or to the in-process network). */
  messagesSent: number;
  /** Bytes handed to the network for the peer, frame headers included. */
  bytesSent: number;
  /** Messages received from the peer and emitted as `message`. */
  messagesReceived: number;
  /** Bytes received from the peer, frame headers included. */
  bytesReceived: number;
  /** Messages that could not be sent: dropped because the queue was full, too large, or the peer was removed. */
  sendFailures: number;
  /**
   * Frames from the peer that were refused (oversize, malformed, unexpected). Refused
   * connections and messages whose sender is not an identified peer (bad certificate, bad
   * handshake, unknown member) count under {@link UNIDENTIFIED_PEER}.
   */
  framesRefused: number;
  /** Outbound connections established to the peer (1 after the first connect; more after reconnects). */
  connects: number;
  /** Outbound connection attempts to the peer that failed or were lost. */
  connectFailures: number;
  /** Snapshots sent to the peer and acknowledged. */
  snapshotsSent: number;
  /** Snapshots to the peer that failed. */
  snapshotsFailed: number;
  /** Messages waiting in the peer's outbound queue right now. */
  queued: number;
  /** The latest measured round-trip time in milliseconds, if known (no built-in transport measures it yet). */
  rttMs?: number | undefined;
}

/** Returns a {@link PeerStats} with every counter at 0. */
export function emptyPeerStats(): PeerStats {
  return {
    messagesSent: 0,
    bytesSent: 0,
    messagesReceived: 0,
    bytesReceived: 0,
    sendFailures: 0,
    framesRefused: 0,
    connects: 0,
    connectFailures: 0,
    snapshotsSent: 0,
    snapshotsFailed: 0,
    queued: 0,
  };
}

/**
 * The contract of a transport: it carries Raft messages between members.
 *
 * - `send` never blocks the caller and never throws for network reasons: messages are queued
 *   per peer (bounded) and delivered in order per peer, or dropped with an `unreachable` event.
 *   Messages to different peers are independent.
 * - Only messages from peers added with `addPeer` are accepted; others are refused with an
 *   `error` event (code `ERR_PEER_REFUSED`).
 * - Lifecycle (STYLE rule 11): `'opening'` from construction until `start()` resolves (sends
 *   made meanwhile are queued), `'open'`, then `'closing'`/`'closed'` after `close()`; calls on
 *   a closed transport throw (or reject with) `NotOpenError`. A closed transport cannot be
 *   restarted: create a new one.
 *
 * Implementers extend `AbstractTransport` and run `runTransportConformance` from
 * `raftkit/testing`.
 */
export interface Transport {
  /** This member's id (a positive integer). */
  readonly id: number;
  /** The lifecycle status. */
  readonly status: ResourceStatus;
  /**
   * The address other members pass to `addPeer` to reach this one; `undefined` until `start()`
   * resolves for transports that learn it then (a TCP port 0 listener).
   */
  readonly address: string | undefined;
  /**
   * The largest frame payload, in bytes, the transport sends, when it has such a limit. The
   * replica checks that its `maxRequestBytes` and `maxSizePerMsg` always fit in it, so that
   * it never accepts an entry it cannot ship.
   */
  readonly maxFrameSize?: number;
  /** Starts listening and connecting. Idempotent; rejects with `NotOpenError` after `close()`. */
  start(): Promise<void>;
  /**
   * Queues messages for their recipients (`message.to`); `message.from` must be this member.
   * Never throws for network reasons; throws `TypeError` for a message that is not a Raft wire
   * message of this member, and `NotOpenError` once closed.
   */
  send(messages: readonly Message[]): void;
  /**
   * Checks, without side effects, that `address` is one `addPeer` would accept; throws
   * `ConfigInvalidError` otherwise. Optional: the replica calls it before proposing a member.
   */
  checkAddress?(address: string): void;
  /**
   * Optional: sends a `MsgSnap` whose snapshot data is a small reference, followed by the
   * snapshot's real bytes read from `body` as the connection accepts them (never one buffer).
   * The outcome is reported like any snapshot's, with `snapshot-status`; the receiver gets a
   * `snapshot-stream` event. Transports without it get snapshots with their data in place.
   */
  sendSnapshotStream?(message: Message, body: AsyncIterable<Uint8Array>): void;
  /** Adds a peer, or updates its address (an outbound connection to the old address is dropped). */
  addPeer(id: number, address: string): void;
  /** Removes a peer: drops its queue and connections and refuses its messages from now on. */
  removePeer(id: number): void;
  /** A copy of the per-peer counters, keyed by peer id ({@link UNIDENTIFIED_PEER} for unattributed refusals). */
  stats(): Map<number, PeerStats>;
  /** Stops: closes every connection, cancels every timer and releases every resource. Idempotent. */
  close(): Promise<void>;
  /** Subscribes to an event (see {@link TransportEvents}). */
  on<E extends keyof TransportEvents>(event: E, listener: EventEmitter.EventListener<TransportEvents, E>): this;
  /** Unsubscribes a listener added with `on`. */
  off<E extends keyof TransportEvents>(event: E, listener?: EventEmitter.EventListener<TransportEvents, E>): this;
}
