/**
 * The demo's KV watch: a watch on a key prefix served by one member (member.ts's `watch`
 * request), its events collected as they arrive. When the member serving it goes away, the
 * watch is opened again on another running member from the revision after the last one it
 * received, as an etcd client does, so no event is missed or repeated. At the end it is
 * checked against the acknowledged writes.
 */
import type { DemoCluster } from './demo-cluster.js';

/** One event the watch received. */
export interface WatchedEvent {
  kind: 'put' | 'delete';
  key: string;
  value: string;
  revision: number;
}

/** What a member sends for each batch of a watch (see member.ts). */
interface WatchEventLine {
  watchId: number;
  events?: ['put' | 'delete', string, string, number][];
  canceled?: boolean;
  reason?: string;
}

/** A watch on every key starting with `prefix`. */
export class DemoWatch {
  readonly prefix: string;
  /** Every event received, in the order received. */
  readonly events: WatchedEvent[] = [];
  /** Batches received. */
  batches = 0;
  /** The member serving the watch, while one does. */
  member: number | undefined;
  /** The first revision the watch asked for. */
  startRevision = 0;
  /** Called after each batch. */
  onBatch: ((events: readonly WatchedEvent[]) => void) | undefined;
  private readonly cluster: DemoCluster;
  private watchId = -1;

  constructor(cluster: DemoCluster, prefix: string) {
    this.cluster = cluster;
    this.prefix = prefix;
  }

  /** The revision of the last event received (or the one before the start). */
  get lastRevision(): number {
    return this.events.at(-1)?.revision ?? this.startRevision - 1;
  }

  /** Opens the watch on member `id`, from `startRevision` (default: the next revision). */
  async open(id: number, startRevision?: number): Promise<void> {
    const m = this.cluster.members.get(id);
    const a = await m?.request({ op: 'watch', key: this.prefix, prefix: true, startRevision });
    if (a?.ok !== true) throw new Error(`member ${id} could not open a watch: ${a?.code ?? 'not running'}`);
    const r = a.result as { watchId: number; startRevision: number };
    this.member = id;
    this.watchId = r.watchId;
    if (this.events.length === 0 && startRevision === undefined) this.startRevision = r.startRevision;
  }

  /** Takes a `watch` event line from member `id`. */
  receive(id: number, e: Record<string, unknown>): void {
    const line = e as unknown as WatchEventLine;
    if (id !== this.member || line.watchId !== this.watchId) return;
    if (line.canceled === true) {
      this.cluster.log(`the watch on member ${id} ended: ${line.reason ?? ''}`);
      this.member = undefined;
      return;
    }
    const batch = (line.events ?? []).map(([kind, key, value, revision]) => ({ kind, key, value, revision }));
    this.events.push(...batch);
    this.batches++;
    this.onBatch?.(batch);
  }

  /** Member `id` went away: if it served the watch, opens it again on another running member. */
  async memberGone(id: number): Promise<void> {
    if (id !== this.member) return;
    this.member = undefined;
    const next = this.lastRevision + 1;
    const other = this.cluster.ids.find((x) => x !== id && this.cluster.views.get(x)?.alive === true);
    if (other === undefined) return;
    try {
      await this.open(other, next);
      this.cluster.log(`the watch's member ${id} went away: opened it again on member ${other} from revision ${next}, as an etcd client does`);
    } catch (err) {
      this.cluster.log(`the watch's member ${id} went away and member ${other} could not take it over: ${String(err)}`);
    }
  }

  /** A one-line summary of what the watch received so far. */
  summary(): string {
    const last = this.events.at(-1);
    const where = this.member === undefined ? 'closed' : `member ${this.member}`;
    return `watch ${this.prefix}* (${where}): ${this.events.length} events${last === undefined ? '' : `, last ${last.kind.toUpperCase()} ${last.key} @ revision ${last.revision}`}`;
  }

  /**
   * Compares the events with the acknowledged writes under the prefix (each key written once):
   * returns the problems found (none: it saw exactly those writes, each at its revision, in
   * revision order).
   */
  check(acked: ReadonlyMap<string, { value: string; revision: number }>): string[] {
    const problems: string[] = [];
    const seen = new Set<string>();
    let previous = this.startRevision - 1;
    for (const e of this.events) {
      if (e.revision <= previous) problems.push(`${e.key} at revision ${e.revision} came after revision ${previous}`);
      previous = e.revision;
      const w = acked.get(e.key);
      if (w === undefined || e.kind !== 'put') problems.push(`an event that is no acknowledged write: ${e.kind} ${e.key} at revision ${e.revision}`);
      else if (w.revision !== e.revision || w.value !== e.value) problems.push(`${e.key}: acknowledged at revision ${w.revision}, event at revision ${e.revision}`);
      seen.add(e.key);
    }
    for (const key of acked.keys()) if (key.startsWith(this.prefix) && !seen.has(key)) problems.push(`no event for the acknowledged write of ${key}`);
    return problems;
  }
}
