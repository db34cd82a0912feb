import { RaftkitError } from '../errors.js';

/** Why a connection or a peer's message was refused; carried by {@link PeerRefusedError}. */
export type PeerRefusalReason =
  /** The sender is not a peer of this member (never added, or removed). */
  | 'unknown-peer'
  /** The handshake names another cluster. */
  | 'wrong-cluster'
  /** The handshake or message is addressed to another member id. */
  | 'wrong-recipient'
  /** The first frame of a connection is not a valid handshake, or it did not arrive in time. */
  | 'bad-handshake'
  /** The TLS handshake failed: no certificate, or one not signed by the configured CA. */
  | 'tls'
  /** The certificate is valid but none of its names (CN or SAN) is in `tls.allowedNames`. */
  | 'name-not-allowed'
  /** The dialling member's certificate has IP or DNS SANs, and none names the address it connects from (see `TlsOptions.verifyClientSan`). */
  | 'san-mismatch'
  /** The certificate is valid but does not name the member id claimed (see `TlsOptions.bindMemberId`). */
  | 'identity-mismatch'
  /** Too many accepted connections have not identified themselves yet (see `maxUnidentifiedConnections`). */
  | 'too-many-connections';

/**
 * A connection, or a message, from a peer was refused before any Raft message of it was
 * delivered. Emitted as an `error` event by the receiving transport, which keeps running.
 * Code: `'ERR_PEER_REFUSED'`.
 */
export class PeerRefusedError extends RaftkitError {
  /** Why the peer was refused. */
  readonly reason: PeerRefusalReason;
  /** The member id the sender claimed, when it got that far. */
  readonly peer: number | undefined;

  /**
   * @param reason - why the peer was refused.
   * @param message - a human-readable explanation.
   * @param peer - the member id the sender claimed, if known.
   * @param options - optional extra detail.
   * @param options.cause - the lower-level error.
   */
  constructor(reason: PeerRefusalReason, message: string, peer?: number, options?: { cause?: unknown }) {
    super('ERR_PEER_REFUSED', message, options);
    this.reason = reason;
    this.peer = peer;
  }
}

/** Why a frame was refused; carried by {@link FrameRefusedError}. */
export type FrameRefusalReason =
  /** The frame announces more bytes than the receiver's `maxFrameSize`. */
  | 'oversize'
  /** The frame does not decode to a valid message (a `CodecError`, the `cause`). */
  | 'malformed'
  /** The frame decodes, but is not acceptable here: a local message type, a spoofed `from`, a stray frame. */
  | 'unexpected';

/**
 * A frame received from a peer was refused; the connection it came on is closed and the frame
 * counted in `PeerStats.framesRefused`. Emitted as an `error` event; the transport keeps
 * running. Code: `'ERR_FRAME_REFUSED'`.
 */
export class FrameRefusedError extends RaftkitError {
  /** Why the frame was refused. */
  readonly reason: FrameRefusalReason;
  /** The member id of the sender, if the connection had identified it. */
  readonly peer: number | undefined;

  /**
   * @param reason - why the frame was refused.
   * @param message - a human-readable explanation.
   * @param peer - the sender's member id, if known.
   * @param options - optional extra detail.
   * @param options.cause - the lower-level error (usually a `CodecError`).
   */
  constructor(reason: FrameRefusalReason, message: string, peer?: number, options?: { cause?: unknown }) {
    super('ERR_FRAME_REFUSED', message, options);
    this.reason = reason;
    this.peer = peer;
  }
}

/**
 * A message could not be sent and was dropped: it is larger than `maxFrameSize`, or a
 * snapshot transfer failed. Emitted as an `error` event next to the `unreachable` or
 * `snapshot-status` event the driver acts on. Code: `'ERR_SEND_FAILED'`.
 */
export class SendFailedError extends RaftkitError {
  /** The peer the message was for. */
  readonly peer: number;

  /**
   * @param peer - the peer the message was for.
   * @param message - a human-readable explanation.
   * @param options - optional extra detail.
   * @param options.cause - the lower-level error.
   */
  constructor(peer: number, message: string, options?: { cause?: unknown }) {
    super('ERR_SEND_FAILED', message, options);
    this.peer = peer;
  }
}

/**
 * A transport could not listen on its address (the port is in use, the host is not local,
 * permission denied…). `start()` rejects with it. Code: `'ERR_LISTEN_FAILED'`.
 */
export class ListenFailedError extends RaftkitError {
  /** The `host:port` the transport tried to listen on. */
  readonly address: string;

  /**
   * @param address - the `host:port` it tried.
   * @param message - what failed, naming the address.
   * @param options - optional extra detail.
   * @param options.cause - the platform error.
   */
  constructor(address: string, message: string, options?: { cause?: unknown }) {
    super('ERR_LISTEN_FAILED', message, options);
    this.address = address;
  }
}
