import type * as net from 'node:net';
import { FRAME_HEADER_SIZE, FrameDecoder } from '../codec/frame.js';
import { decodeMessage } from '../codec/message.js';
import { MessageType, type Message } from '../raft/messages.js';
import { FrameRefusedError, PeerRefusedError } from './errors.js';
import { Channel, decodeHandshake, MAX_HANDSHAKE_SIZE } from './handshake.js';
import { ackFrame, headRecord, SnapshotAssembler, SnapshotBody } from './snapshot-stream.js';

/**
 * Everything an {@link InboundConnection} needs from its transport.
 * @internal
 */
export interface InboundContext {
  /** This member's id. */
  readonly id: number;
  /** This cluster's id. */
  readonly clusterId: string;
  /** The largest frame accepted. */
  readonly maxFrameSize: number;
  /** The largest snapshot record accepted. */
  readonly maxSnapshotSize: number;
  /** The deadline for the handshake, from the moment the connection was accepted, in milliseconds. */
  readonly handshakeTimeoutMs: number;
  /** An identified connection that receives nothing for this long is closed, in milliseconds. */
  readonly idleTimeoutMs: number;
  /** Under mutual TLS with `bindMemberId`: a refusal when the socket's certificate does not name member `from`. */
  checkIdentity?(from: number, socket: net.Socket): PeerRefusedError | undefined;
  /** Whether `id` is a current peer. */
  isPeer(id: number): boolean;
  /** Delivers a message (the transport's `_receive`); false when it was refused. */
  receive(from: number, message: Message, bytes: number): boolean;
  /**
   * Delivers a streamed snapshot (the transport's `_receiveSnapshotStream`): `settle` is called
   * once its consumer stored the body (or gave up); false when it was refused.
   */
  receiveSnapshotStream(from: number, message: Message, body: SnapshotBody, settle: (accepted: boolean) => void): boolean;
  /** Counts and emits a refusal. */
  refuse(error: PeerRefusedError | FrameRefusedError): void;
  /** Counts bytes received from an identified peer outside `receive` (handshakes, snapshot chunks). */
  countBytes(from: number, bytes: number): void;
  /** Records which peer a connection belongs to (so that removePeer can close it). */
  identified(from: number, socket: net.Socket): void;
}

/**
 * One accepted connection: its first frame must be a valid handshake from a current peer of
 * this cluster addressed to this member; then it carries message frames (channel Messages)
 * or the chunks of one snapshot (channel Snapshot). Any violation is refused with a typed
 * `error` event and closes this connection only.
 * @internal
 */
export class InboundConnection {
  readonly #ctx: InboundContext;
  readonly #socket: net.Socket;
  readonly #decoder: FrameDecoder;
  readonly #handshakeDecoder = new FrameDecoder({ maxFrameSize: MAX_HANDSHAKE_SIZE });
  #from: number | undefined = undefined;
  #channel: Channel | undefined = undefined;
  #snapshot: SnapshotAssembler | undefined = undefined;
  #snapshotFrames = 0;
  #body: SnapshotBody | undefined = undefined;
  #dead = false;
  readonly #deadline: ReturnType<typeof setTimeout>;

  constructor(ctx: InboundContext, socket: net.Socket) {
    this.#ctx = ctx;
    this.#socket = socket;
    this.#decoder = new FrameDecoder({ maxFrameSize: ctx.maxFrameSize });
    socket.setNoDelay(true);
    // A deadline, not an idle timer: bytes trickling in do not extend it.
    this.#deadline = setTimeout(() => {
      if (this.#from === undefined) this.#refuse(new PeerRefusedError('bad-handshake', `transport ${ctx.id}: no handshake within ${ctx.handshakeTimeoutMs} ms`));
    }, ctx.handshakeTimeoutMs);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', () => undefined); // followed by 'close'
    socket.on('close', () => {
      clearTimeout(this.#deadline);
      this.#body?.fail(new Error('the snapshot connection closed before the last chunk'));
    });
  }

  #refuse(error: PeerRefusedError | FrameRefusedError): void {
    if (this.#dead) return;
    this.#dead = true;
    this.#body?.fail(error);
    this.#ctx.refuse(error);
    this.#socket.destroy();
  }

  #onData(chunk: Buffer): void {
    if (this.#dead) return;
    let rest: Uint8Array = chunk;
    if (this.#from === undefined) {
      // Byte by byte until the handshake frame is complete (at most 283 bytes), so that what
      // follows it in the same chunk is decoded, and refused, as coming from the identified peer.
      let off = 0;
      while (this.#from === undefined && off < chunk.length) {
        let frames: Uint8Array[];
        try {
          frames = this.#handshakeDecoder.push(chunk.subarray(off, off + 1));
        } catch (err) {
          this.#refuse(new PeerRefusedError('bad-handshake', `transport ${this.#ctx.id}: ${errorText(err)}`, undefined, { cause: err }));
          return;
        }
        off++;
        if (frames[0] !== undefined) this.#onHandshake(frames[0]);
        if (this.#dead) return;
      }
      rest = chunk.subarray(off);
      if (rest.length === 0) return;
    }
    let frames: Uint8Array[];
    try {
      frames = this.#decoder.push(rest);
    } catch (err) {
      this.#refuse(new FrameRefusedError('oversize', `transport ${this.#ctx.id}: ${errorText(err)}`, this.#from, { cause: err }));
      return;
    }
    for (const payload of frames) {
      if (this.#dead || this.#from === undefined) return;
      if (this.#channel === Channel.Messages) this.#onMessage(this.#from, payload);
      else {
        this.#ctx.countBytes(this.#from, FRAME_HEADER_SIZE + payload.length);
        this.#onSnapshotChunk(this.#from, payload);
      }
    }
  }

  #onHandshake(payload: Uint8Array): void {
    const ctx = this.#ctx;
    const h = decodeHandshake(payload);
    if (typeof h === 'string') {
      this.#refuse(new PeerRefusedError('bad-handshake', `transport ${ctx.id}: ${h}`));
      return;
    }
    if (h.clusterId !== ctx.clusterId) {
      this.#refuse(new PeerRefusedError('wrong-cluster', `transport ${ctx.id}: member ${h.from} is in cluster '${h.clusterId}', not '${ctx.clusterId}'`, h.from));
    } else if (h.to !== ctx.id) {
      this.#refuse(new PeerRefusedError('wrong-recipient', `transport ${ctx.id}: member ${h.from} dialled member ${h.to}`, h.from));
    } else if (!ctx.isPeer(h.from)) {
      this.#refuse(new PeerRefusedError('unknown-peer', `transport ${ctx.id}: refused a connection from unknown member ${h.from}`, h.from));
    } else {
      const mismatch = ctx.checkIdentity?.(h.from, this.#socket);
      if (mismatch !== undefined) {
        this.#refuse(mismatch);
        return;
      }
      this.#from = h.from;
      this.#channel = h.channel;
      clearTimeout(this.#deadline);
      // Identified: from now on only a long silence closes the connection (the peer redials).
      this.#socket.setTimeout(ctx.idleTimeoutMs, () => {
        this.#dead = true;
        this.#socket.destroy();
      });
      if (h.channel === Channel.Snapshot) this.#snapshot = new SnapshotAssembler(ctx.maxSnapshotSize);
      ctx.identified(h.from, this.#socket);
      ctx.countBytes(h.from, FRAME_HEADER_SIZE + payload.length);
    }
  }

  #decode(from: number, bytes: Uint8Array): Message | undefined {
    try {
      return decodeMessage(bytes);
    } catch (err) {
      this.#refuse(new FrameRefusedError('malformed', `transport ${this.#ctx.id}: a malformed message from ${from}`, from, { cause: err }));
      return undefined;
    }
  }

  #onMessage(from: number, payload: Uint8Array): void {
    const m = this.#decode(from, payload);
    if (m === undefined) return;
    if (m.type === MessageType.MsgSnap) {
      this.#refuse(new FrameRefusedError('unexpected', `transport ${this.#ctx.id}: MsgSnap from ${from} on the message channel`, from));
      return;
    }
    if (!this.#ctx.receive(from, m, FRAME_HEADER_SIZE + payload.length)) {
      this.#dead = true;
      this.#socket.destroy();
    }
  }

  #onSnapshotChunk(from: number, payload: Uint8Array): void {
    const first = this.#snapshotFrames++ === 0;
    const head = first ? headRecord(payload) : undefined;
    if (head !== undefined) {
      this.#onSnapshotHead(from, head);
      return;
    }
    if (this.#body !== undefined) {
      const e = this.#body.push(payload);
      if (e !== undefined) this.#refuse(new FrameRefusedError(e.oversize ? 'oversize' : 'malformed', `transport ${this.#ctx.id}: from ${from}: ${e.error}`, from));
      return;
    }
    const r = this.#snapshot!.push(payload);
    if (r === undefined) return;
    if (!(r instanceof Uint8Array)) {
      this.#refuse(new FrameRefusedError(r.oversize ? 'oversize' : 'malformed', `transport ${this.#ctx.id}: from ${from}: ${r.error}`, from));
      return;
    }
    const m = this.#decode(from, r);
    if (m === undefined) return;
    if (m.type !== MessageType.MsgSnap) {
      this.#refuse(new FrameRefusedError('unexpected', `transport ${this.#ctx.id}: a snapshot connection from ${from} carried another message type`, from));
      return;
    }
    const accepted = this.#ctx.receive(from, m, 0); // its chunks' bytes were counted as they came
    this.#dead = true;
    this.#socket.end(ackFrame(accepted));
  }

  /** The head of a streamed snapshot: the MsgSnap, whose body follows in chunk frames. */
  #onSnapshotHead(from: number, record: Uint8Array): void {
    const m = this.#decode(from, record);
    if (m === undefined) return;
    if (m.type !== MessageType.MsgSnap) {
      this.#refuse(new FrameRefusedError('unexpected', `transport ${this.#ctx.id}: a snapshot connection from ${from} carried another message type`, from));
      return;
    }
    const socket = this.#socket;
    const body = new SnapshotBody({ pause: () => socket.pause(), resume: () => socket.resume() }, this.#ctx.maxSnapshotSize);
    this.#body = body;
    const settle = (accepted: boolean): void => {
      if (this.#dead) return;
      this.#dead = true;
      body.fail(new Error('the snapshot was settled before its last chunk'));
      socket.resume();
      socket.end(ackFrame(accepted && body.ended));
    };
    if (!this.#ctx.receiveSnapshotStream(from, m, body, settle)) settle(false);
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
