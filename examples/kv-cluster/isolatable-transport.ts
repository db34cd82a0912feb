/**
 * A transport wrapper for the demo's "partition" button: while `isolated`, the member sends
 * nothing and drops everything it receives, as if its network cable were pulled, while the
 * process and its connections stay up.
 */
import type { EventEmitter } from 'eventemitter3';
import type { Message, PeerStats, ResourceStatus, Transport, TransportEvents } from 'raftkit';

type Listener<E extends keyof TransportEvents> = EventEmitter.EventListener<TransportEvents, E>;

/** Wraps a transport so that it can be cut off from the network and reconnected. */
export class IsolatableTransport implements Transport {
  /** While true, no message goes out or comes in. */
  isolated = false;
  private readonly wrapped = new Map<Listener<'message'>, Listener<'message'>>();

  private readonly inner: Transport;

  constructor(inner: Transport) {
    this.inner = inner;
  }

  get id(): number {
    return this.inner.id;
  }
  get status(): ResourceStatus {
    return this.inner.status;
  }
  get address(): string | undefined {
    return this.inner.address;
  }
  start(): Promise<void> {
    return this.inner.start();
  }
  send(messages: readonly Message[]): void {
    if (!this.isolated) this.inner.send(messages);
  }
  addPeer(id: number, address: string): void {
    this.inner.addPeer(id, address);
  }
  removePeer(id: number): void {
    this.inner.removePeer(id);
  }
  stats(): Map<number, PeerStats> {
    return this.inner.stats();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
  on<E extends keyof TransportEvents>(event: E, listener: Listener<E>): this {
    if (event === 'message') {
      const l = listener as Listener<'message'>;
      const filtered: Listener<'message'> = (m) => {
        if (!this.isolated) l(m);
      };
      this.wrapped.set(l, filtered);
      this.inner.on('message', filtered);
    } else this.inner.on(event, listener);
    return this;
  }
  off<E extends keyof TransportEvents>(event: E, listener?: Listener<E>): this {
    if (event === 'message' && listener !== undefined) {
      const l = listener as Listener<'message'>;
      this.inner.off('message', this.wrapped.get(l));
      this.wrapped.delete(l);
    } else this.inner.off(event, listener);
    return this;
  }
}
