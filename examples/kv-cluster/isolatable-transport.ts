/**
 * A transport wrapper for the demo's "partition" button: while `isolated`, the member sends
 * nothing and drops everything it receives, as if its network cable were pulled, while the
 * process and its connections stay up.
 */
import { ForwardingTransport, MessageType, type Message, type TransportEvents } from 'raftkit';

/** Wraps a transport so that it can be cut off from the network and reconnected. */
export class IsolatableTransport extends ForwardingTransport {
  /** While true, no message goes out or comes in. */
  isolated = false;

  override send(messages: readonly Message[]): void {
    if (!this.isolated) {
      super.send(messages);
      return;
    }
    // A snapshot lost on the way is reported, or the leader would wait for its outcome forever.
    for (const m of messages) if (m.type === MessageType.MsgSnap) this.emit('snapshot-status', m.to, 'failure');
  }

  protected override _sendSnapshotStream(message: Message, body: AsyncIterable<Uint8Array>): void {
    if (this.isolated) this.emit('snapshot-status', message.to, 'failure');
    else super._sendSnapshotStream(message, body);
  }

  protected override _forward<E extends keyof TransportEvents>(event: E, ...args: Parameters<TransportEvents[E]>): void {
    if (!this.isolated) super._forward(event, ...args);
    else if (event === 'snapshot-stream') (args as Parameters<TransportEvents['snapshot-stream']>)[2](false);
    else if (event !== 'message') super._forward(event, ...args);
  }
}
