import { FrameDecoder } from '../codec/frame.js';
import { decodeMessage, encodeMessageFrame } from '../codec/message.js';
import { ConfigInvalidError } from '../raft/errors.js';
import { MessageType, type Message } from '../raft/messages.js';
import { AbstractTransport, type TransportOptions } from './abstract-transport.js';
import { FrameRefusedError, PeerRefusedError, SendFailedError } from './errors.js';

/**
 * What became of a frame handed to the network: `'sent'` (on its way to a listening
 * transport), `'lost'` (a partition or the drop fault) or `'no-listener'`.
 * @internal
 */
export type TransmitResult = 'sent' | 'lost' | 'no-listener';

/**
 * A transport as the network sees it.
 * @internal
 */
export interface InProcessEndpoint {
  /** The member id. */
  id: number;
  /** Hands the transport a frame from member `from`. */
  deliver(from: number, frame: Uint8Array): void;
}

/**
 * The address of member `id` on an `InProcessNetwork`.
 * @internal
 */
export function addressOf(id: number): string {
  return `inproc://${id}`;
}

/**
 * The network's side of an {@link InProcessTransport}: how it attaches and transmits.
 * @internal
 */
export interface InProcessPort {
  /** Registers the transport at its address. */
  attach(ep: InProcessEndpoint): void;
  /** Unregisters it. */
  detach(ep: InProcessEndpoint): void;
  /** Sends a frame. */
  transmit(from: number, address: string, frame: Uint8Array): TransmitResult;
}

/**
 * A `Transport` over an `InProcessNetwork`; create it with
 * `network.transport(id)`. Its address is `inproc://<id>`. Sends are never queued beyond
 * the network's in-flight frames, so `stats().queued` is always 0. A `MsgSnap` is reported
 * `finish` once handed to the network towards a listening transport, `failure` otherwise.
 */
export class InProcessTransport extends AbstractTransport {
  readonly #port: InProcessPort;
  readonly #endpoint: InProcessEndpoint;
  /** Reused across frames: clean after every frame that decodes; replaced after a refusal. */
  #decoder: FrameDecoder;

  /**
   * Use `InProcessNetwork.transport` instead.
   *
   * @internal
   */
  constructor(options: TransportOptions, port: InProcessPort) {
    super(options);
    this.#port = port;
    this.#endpoint = { id: this.id, deliver: (from, frame) => this.#deliver(from, frame) };
    this.#decoder = new FrameDecoder({ maxFrameSize: this.maxFrameSize });
  }

  /** `inproc://<id>`. */
  get address(): string {
    return addressOf(this.id);
  }

  /** Attaches to the network. */
  protected override _start(): Promise<void> {
    this.#port.attach(this.#endpoint);
    return Promise.resolve();
  }

  /** Detaches from the network; frames still in flight to it are lost. */
  protected override _close(): Promise<void> {
    this.#port.detach(this.#endpoint);
    return Promise.resolve();
  }

  /** Refuses anything but an `inproc://<id>` address, with a message saying so. */
  protected override _checkAddress(address: string): void {
    if (!/^inproc:\/\/[1-9][0-9]*$/.test(address)) {
      throw new ConfigInvalidError(`transport ${this.id}: in-process addresses look like inproc://<id>, got '${address}'`);
    }
  }

  /** Encodes the message into a frame and hands it to the network. */
  protected _send(peer: number, message: Message): void {
    const address = this._peerAddress(peer)!;
    const st = this._stats(peer);
    let frame: Uint8Array;
    try {
      frame = encodeMessageFrame(message, { maxFrameSize: this.maxFrameSize });
    } catch (err) {
      st.sendFailures++;
      this._error(new SendFailedError(peer, `transport ${this.id}: a message to ${peer} exceeds maxFrameSize`, { cause: err }));
      this._unreachable(peer);
      return;
    }
    st.messagesSent++;
    st.bytesSent += frame.length;
    const result = this.#port.transmit(this.id, address, frame);
    if (result === 'no-listener') {
      st.connectFailures++;
      this._unreachable(peer);
    }
    // A snapshot is reported finished once it is on its way to a listening transport.
    if (message.type === MessageType.MsgSnap) this._snapshotStatus(peer, result === 'sent' ? 'finish' : 'failure');
  }

  #deliver(from: number, frame: Uint8Array): void {
    if (!this._live) return;
    if (this._peerAddress(from) === undefined) {
      this._refuse(new PeerRefusedError('unknown-peer', `transport ${this.id}: refused a frame from unknown member ${from}`, from));
      return;
    }
    const decoder = this.#decoder;
    let payloads: Uint8Array[];
    let reason: 'oversize' | 'malformed' = 'oversize';
    try {
      payloads = decoder.push(frame); // throws only for an oversize announcement
      reason = 'malformed';
      decoder.end(); // throws for a truncated frame
    } catch (err) {
      this.#decoder = new FrameDecoder({ maxFrameSize: this.maxFrameSize });
      this._refuse(new FrameRefusedError(reason, `transport ${this.id}: refused a frame from ${from}: ${errorText(err)}`, from, { cause: err }));
      return;
    }
    for (const payload of payloads) {
      let message: Message;
      try {
        message = decodeMessage(payload);
      } catch (err) {
        this._refuse(new FrameRefusedError('malformed', `transport ${this.id}: a malformed frame from ${from}`, from, { cause: err }));
        return;
      }
      this._receive(from, message, frame.length);
    }
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
