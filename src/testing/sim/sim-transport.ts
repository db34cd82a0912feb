import { MessageTypeName, type Message } from '../../raft/messages.js';
import { ForwardingTransport } from '../../transport/forwarding-transport.js';
import type { Transport, TransportEvents } from '../../transport/transport.js';
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
export class SimTransport extends ForwardingTransport {
  private readonly trace: Trace;
  private paused = false;
  private dead = false;
  /** What a pause holds: each is released on resume, or dropped when the endpoint dies. */
  private held: { release(): void; drop(): void }[] = [];

  /**
   * @param inner - the real transport (from `InProcessNetwork.transport`).
   * @param trace - where messages are recorded.
   */
  constructor(inner: Transport, trace: Trace) {
    super(inner);
    this.trace = trace;
  }

  override send(messages: readonly Message[]): void {
    if (this.dead) return;
    if (this.paused) {
      const copy = [...messages];
      this.held.push({ release: () => this.send(copy), drop: () => undefined });
      return;
    }
    for (const m of messages) this.trace.add(`send ${traceMessage(m)}`);
    super.send(messages);
  }

  override addPeer(id: number, address: string): void {
    if (!this.dead) super.addPeer(id, address);
  }

  override removePeer(id: number): void {
    if (!this.dead) super.removePeer(id);
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
    for (const h of held) h.release();
  }

  /** Drops everything from now on and closes the endpoint (a crashed process). */
  kill(): Promise<void> {
    this.dead = true;
    const held = this.held;
    this.held = [];
    for (const h of held) h.drop();
    return this.inner.close();
  }

  /** Traces delivered messages; holds every event while paused, drops them once dead. */
  protected override _forward<E extends keyof TransportEvents>(event: E, ...args: Parameters<TransportEvents[E]>): void {
    if (this.dead) return this._drop(event, ...args);
    if (this.paused) {
      this.held.push({ release: () => this._forward(event, ...args), drop: () => this._drop(event, ...args) });
      return;
    }
    if (event === 'message') this.trace.add(`recv ${traceMessage(args[0] as Message)}`);
    super._forward(event, ...args);
  }
}
