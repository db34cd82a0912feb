/**
 * Writing your own transport: Raft messages over `worker_threads` MessagePorts, checked with
 * the same conformance suite every built-in transport passes. Run: `npx tsx examples/custom-transport.ts`.
 *
 * A `PortDirectory` maps addresses (`port://<name>`) to each member's inbox, the sending end of
 * a `MessageChannel`. A transport posts `{ from, frame }` (a length-prefixed frame, as TCP
 * carries) to its peer's inbox. A MessagePort can also be handed to a worker thread
 * (`postMessage(port, [port])`), so the same transport links members in different threads.
 */
import { test } from 'node:test';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import {
  AbstractTransport,
  ConfigInvalidError,
  FrameDecoder,
  FrameRefusedError,
  MessageType,
  PeerRefusedError,
  SendFailedError,
  decodeMessage,
  encodeMessageFrame,
  type Message,
  type TransportOptions,
} from 'raftkit';
import { runTransportConformance } from 'raftkit/testing';

/** What travels between members. */
interface Envelope {
  from: number;
  frame: Uint8Array;
}

/** Where each member's inbox is (in one thread here; ports can be transferred to workers). */
export class PortDirectory {
  readonly inboxes = new Map<string, MessagePort>();
}

/** A transport whose inbox is one end of a MessageChannel registered in a {@link PortDirectory}. */
export class MessagePortTransport extends AbstractTransport {
  readonly #directory: PortDirectory;
  readonly #name: string;
  readonly #channel = new MessageChannel();

  constructor(options: TransportOptions & { directory: PortDirectory; name?: string }) {
    super(options);
    this.#directory = options.directory;
    this.#name = options.name ?? String(options.id);
  }

  /** `port://<name>`. */
  get address(): string {
    return `port://${this.#name}`;
  }

  protected override _checkAddress(address: string): void {
    if (!address.startsWith('port://')) throw new ConfigInvalidError(`transport ${this.id}: expected a port:// address, got '${address}'`);
  }

  /** Opens the inbox and registers it under this transport's address. */
  protected override _start(): Promise<void> {
    this.#channel.port1.on('message', (e: Envelope) => this.#deliver(e));
    this.#directory.inboxes.set(this.address, this.#channel.port2);
    return Promise.resolve();
  }

  /** Unregisters and closes the inbox (messages still in flight to it are lost). */
  protected override _close(): Promise<void> {
    if (this.#directory.inboxes.get(this.address) === this.#channel.port2) this.#directory.inboxes.delete(this.address);
    this.#channel.port1.close();
    return Promise.resolve();
  }

  protected _send(peer: number, message: Message): void {
    const st = this._stats(peer);
    const inbox = this.#directory.inboxes.get(this._peerAddress(peer)!);
    let frame: Uint8Array;
    try {
      frame = encodeMessageFrame(message, { maxFrameSize: this.maxFrameSize });
    } catch (err) {
      st.sendFailures++;
      this._error(new SendFailedError(peer, `transport ${this.id}: a message to ${peer} exceeds maxFrameSize`, { cause: err }));
      this._unreachable(peer);
      return;
    }
    if (inbox === undefined) {
      st.connectFailures++;
      this._unreachable(peer);
    } else {
      inbox.postMessage({ from: this.id, frame } satisfies Envelope);
      st.messagesSent++;
      st.bytesSent += frame.length;
    }
    if (message.type === MessageType.MsgSnap) this._snapshotStatus(peer, inbox === undefined ? 'failure' : 'finish');
  }

  #deliver({ from, frame }: Envelope): void {
    if (this._peerAddress(from) === undefined) {
      this._refuse(new PeerRefusedError('unknown-peer', `transport ${this.id}: refused a frame from unknown member ${from}`, from));
      return;
    }
    // The decoder throws in push() for an oversize length, in end() for a truncated frame.
    let reason: 'oversize' | 'malformed' = 'oversize';
    try {
      const decoder = new FrameDecoder({ maxFrameSize: this.maxFrameSize });
      const [payload] = decoder.push(frame);
      reason = 'malformed';
      decoder.end();
      this._receive(from, decodeMessage(payload!), frame.length);
    } catch (err) {
      this._refuse(new FrameRefusedError(reason, `transport ${this.id}: refused a frame from ${from}`, from, { cause: err }));
    }
  }
}

// The conformance suite, run by node:test (any runner's `test` works).
const directory = new PortDirectory();
runTransportConformance({
  test: (name, fn) => test(name, fn),
  factory: (id, { maxFrameSize }) => new MessagePortTransport({ id, directory, ...(maxFrameSize === undefined ? {} : { maxFrameSize }) }),
  prefix: 'message ports: ',
});
