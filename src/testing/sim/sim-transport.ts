import { EventEmitter } from 'eventemitter3';
import { MessageTypeName, type Message } from '../../raft/messages.js';
import type { ResourceStatus } from '../../storage/storage.js';
import type { PeerStats, Transport, TransportEvents } from '../../transport/transport.js';
import type { Trace } from './trace.js';

/** A compact, stable one-line description of a message for the trace. */
export function traceMessage(m: Message): string {
  let s = `${m.from}->${m.to} ${MessageTypeName[m.type]} t${m.term} ${m.logTerm}/${m.index} c${m.commit}`;
  if (m.entries.length > 0) s += ` e${m.entries.length}@${m.entries[0]!.index}`;
  if (m.reject) s += ` rej${m.rejectHint}`;
  if (m.snapshot !== undefined && m.snapshot.metadata.index !== 0) s += ` snap${m.snapshot.metadata.term}/${m.snapshot.metadata.index}`;
  return s;
}

/**
 * A member's transport in a simulation: wraps the real in-process transport, traces every
 * message sent and delivered, and models a paused process (nothing goes in or out while it
 * is paused; what arrived meanwhile is delivered on resume, as a socket buffer would) and a
 * crashed one (everything is dropped, the endpoint is closed).
 */
export class SimTransport extends EventEmitter<TransportEvents> implements Transport {
  readonly id: number;
  private readonly inner: Transport;
  private readonly trace: Trace;
  private paused = false;
  private dead = false;
  private held: (() => void)[] = [];

  /**
   * @param inner - the real transport (from `InProcessNetwork.transport`).
   * @param trace - where messages are recorded.
   */
  constructor(inner: Transport, trace: Trace) {
    super();
    this.id = inner.id;
    this.inner = inner;
    this.trace = trace;
    inner.on('message', (m) => this.hold(() => this.deliver(m)));
    inner.on('unreachable', (peer) => this.hold(() => this.emit('unreachable', peer)));
    inner.on('snapshot-status', (peer, status) => this.hold(() => this.emit('snapshot-status', peer, status)));
    inner.on('error', (err) => this.hold(() => this.emit('error', err)));
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
    if (this.dead) return;
    if (this.paused) {
      const copy = [...messages];
      this.held.push(() => this.send(copy));
      return;
    }
    for (const m of messages) this.trace.add(`send ${traceMessage(m)}`);
    this.inner.send(messages);
  }

  addPeer(id: number, address: string): void {
    if (!this.dead) this.inner.addPeer(id, address);
  }

  removePeer(id: number): void {
    if (!this.dead) this.inner.removePeer(id);
  }

  stats(): Map<number, PeerStats> {
    return this.inner.stats();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  /** Holds every event in and out until {@link SimTransport.resume}. */
  pause(): void {
    this.paused = true;
  }

  /** Releases what was held, in order, and lets events through again. */
  resume(): void {
    this.paused = false;
    const held = this.held;
    this.held = [];
    for (const h of held) h();
  }

  /** Drops everything from now on and closes the endpoint (a crashed process). */
  kill(): Promise<void> {
    this.dead = true;
    this.held = [];
    return this.inner.close();
  }

  private hold(fn: () => void): void {
    if (this.dead) return;
    if (this.paused) this.held.push(fn);
    else fn();
  }

  private deliver(m: Message): void {
    this.trace.add(`recv ${traceMessage(m)}`);
    this.emit('message', m);
  }
}
