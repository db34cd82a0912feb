import type { Message } from './messages.js';
import type { ReadOnlyOption } from './config.js';
import { ChurnMap } from '../churn-map.js';

/** A pending read-index request on the leader. */
export interface ReadIndexStatus {
  /** The `MsgReadIndex` request (its first entry's data is the request context). */
  req: Message;
  /** The commit index when the request arrived: the read index. */
  index: number;
  /** The voters that acknowledged the heartbeat carrying this request's context. */
  acks: Map<number, boolean>;
}

/** Turns a request context into a map key (one char per byte). */
export function contextKey(ctx: Uint8Array): string {
  let s = '';
  for (let i = 0; i < ctx.length; i++) s += String.fromCharCode(ctx[i]!);
  return s;
}

/**
 * The leader's queue of read-index requests awaiting a heartbeat quorum (etcd's
 * `readOnly`, thesis §6.4).
 *
 * Invariant: every key in `queue` is in `pending`, in arrival order.
 */
export class ReadOnly {
  /** How reads are confirmed. */
  readonly option: ReadOnlyOption;
  private readonly pending = new ChurnMap<string, ReadIndexStatus>();
  private queue: string[] = [];

  /** @param option - how reads are confirmed. */
  constructor(option: ReadOnlyOption) {
    this.option = option;
  }

  /** Queues a request read at commit index `index`; a duplicate context is ignored. */
  addRequest(index: number, m: Message): void {
    const key = contextKey(m.entries[0]!.data);
    if (this.pending.has(key)) return;
    this.pending.set(key, { index, req: m, acks: new Map() });
    this.queue.push(key);
  }

  /**
   * Records that `id` acknowledged the heartbeat carrying `context`, and returns the acks
   * for that request so far (undefined when no such request is pending).
   */
  recvAck(id: number, context: Uint8Array): Map<number, boolean> | undefined {
    const rs = this.pending.get(contextKey(context));
    if (rs === undefined) return undefined;
    rs.acks.set(id, true);
    return rs.acks;
  }

  /**
   * Dequeues the request whose context `m` carries and every request queued before it
   * (a quorum confirming a later heartbeat confirms the earlier ones too).
   */
  advance(m: Message): ReadIndexStatus[] {
    const ctx = contextKey(m.context ?? new Uint8Array(0));
    const i = this.queue.indexOf(ctx);
    if (i < 0) return [];
    const done = this.queue.slice(0, i + 1);
    this.queue = this.queue.slice(i + 1);
    const out: ReadIndexStatus[] = [];
    for (const key of done) {
      const rs = this.pending.get(key);
      if (rs !== undefined) out.push(rs);
      this.pending.delete(key);
    }
    return out;
  }

  /** The context of the most recent pending request, if any. */
  lastPendingRequestCtx(): Uint8Array | undefined {
    const key = this.queue[this.queue.length - 1];
    if (key === undefined) return undefined;
    return this.pending.get(key)?.req.entries[0]?.data;
  }

  /** The number of pending requests. */
  get size(): number {
    return this.queue.length;
  }
}
