/**
 * KV watches under chaos: one watch stream per member on every workload key (`k…`), with
 * progress notifications. When its member is killed, a stream resumes from the revision after
 * the last one it saw: on the member once it runs again, or on another running member. After
 * healing, every member's whole history (a watch from revision 1) must be the same, and every
 * stream is checked against it for etcd's six watch guarantees (`checkWatchStreams`).
 */
import type { MemberProcess } from '../examples/kv-cluster/driver.js';
import { checkWatchStreams, type CommittedRevision, type ObservedBatch, type WatchCheckEvent, type WatchSegment, type WatchStream, type WatchViolation } from '../src/testing/watch-check.js';
import type { ChaosCluster } from './cluster.js';

/** What the watch check found. */
export interface WatchReport {
  /** Streams (one per member). */
  streams: number;
  /** Times a stream was opened again after its member died. */
  resumes: number;
  /** Resumes on another member than the one that died. */
  moves: number;
  /** Events delivered to the streams. */
  events: number;
  /** Progress notifications delivered. */
  progress: number;
  /** The revision every stream had to reach. */
  endRevision: number;
  /** Broken guarantees, and members whose history differs (`history`). */
  violations: WatchViolation[];
}

/** A watch event line from a member (see examples/kv-cluster/member.ts). */
interface WatchLine {
  event: 'watch';
  watchId: number;
  revision?: number;
  events?: ['put' | 'delete', string, string, number][];
  progress?: boolean;
  canceled?: boolean;
}

const SPEC = { key: 'k', rangeEnd: 'l' };

function toEvent([kind, key, value, revision]: ['put' | 'delete', string, string, number]): WatchCheckEvent {
  // The member's wire events carry no create revision or version: both sides leave them out.
  return { type: kind === 'put' ? 'PUT' : 'DELETE', key, value: kind === 'put' ? value : '', modRevision: revision, createRevision: -1, version: -1 };
}

function toBatch(line: WatchLine): ObservedBatch {
  return { revision: line.revision ?? 0, events: (line.events ?? []).map(toEvent), progressNotify: line.progress === true, canceled: line.canceled === true, fragment: false };
}

/** One open watch on one member process. */
class OpenWatch {
  watchId = -1;
  readonly batches: ObservedBatch[] = [];
  ended = false;
  readonly proc: MemberProcess;
  constructor(proc: MemberProcess) {
    this.proc = proc;
  }
  /** Lines that arrived before the answer that names this watch's id (readline emits a chunk's lines at once). */
  private pending: WatchLine[] | undefined = [];
  receive(line: WatchLine): void {
    if (this.pending !== undefined) {
      this.pending.push(line);
      return;
    }
    if (line.watchId !== this.watchId) return;
    if (line.canceled === true) this.ended = true;
    this.batches.push(toBatch(line));
  }
  /** The member answered with the watch's id: takes the lines of it that came first. */
  opened(watchId: number): void {
    this.watchId = watchId;
    const early = this.pending ?? [];
    this.pending = undefined;
    for (const line of early) this.receive(line);
  }
}

/** Routes each member process's watch lines to its open watches. */
function listen(proc: MemberProcess, open: Set<OpenWatch>): void {
  proc.onEvent = (e) => {
    if (e.event !== 'watch') return;
    for (const w of open) if (w.proc === proc) w.receive(e as unknown as WatchLine);
  };
}

async function openWatch(proc: MemberProcess, startRevision: number, open: Set<OpenWatch>): Promise<OpenWatch | undefined> {
  const w = new OpenWatch(proc);
  if (proc.onEvent === undefined) listen(proc, open);
  open.add(w);
  const a = await proc.request({ op: 'watch', key: SPEC.key, prefix: true, startRevision, progressNotify: true });
  if (!a.ok) {
    open.delete(w);
    return undefined;
  }
  w.opened((a.result as { watchId: number }).watchId);
  return w;
}

/** The watch streams of a chaos run. */
export class ChaosWatches {
  private readonly c: ChaosCluster;
  private readonly open = new Set<OpenWatch>();
  private readonly streams: { data: WatchStream; member: number; next: number; current: OpenWatch | undefined; segment: WatchSegment | undefined; opening: boolean }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly counts = { resumes: 0, moves: 0 };
  private ticks = 0;

  constructor(c: ChaosCluster) {
    this.c = c;
    for (const id of c.ids) this.streams.push({ data: { name: `member ${id}`, spec: SPEC, segments: [] }, member: id, next: 1, current: undefined, segment: undefined, opening: false });
  }

  /** Opens the streams and keeps them open (checked every 100 ms) until {@link ChaosWatches.check}. */
  start(): void {
    this.timer = setInterval(() => void this.tick(), 100);
    void this.tick();
  }

  private async tick(): Promise<void> {
    // About once a second, each stream asks for a progress notification (bookmarks to check).
    const bookmark = ++this.ticks % 10 === 0;
    for (const s of this.streams) {
      if (bookmark && s.current !== undefined && s.current.watchId >= 0) void s.current.proc.request({ op: 'progress', watchId: s.current.watchId });
      if (s.opening) continue;
      const cur = s.current;
      if (cur !== undefined) {
        this.consume(s);
        if (cur.proc.alive && !cur.ended && this.c.process(cur.proc.id) === cur.proc) continue;
        // Its member died (or the watch ended): resume from the last revision seen.
        this.open.delete(cur);
        s.current = undefined;
        this.counts.resumes++;
      }
      let proc = this.c.process(s.member);
      if (proc === undefined) {
        const others = this.c.running();
        proc = others[(s.member + this.counts.moves) % Math.max(1, others.length)];
        if (proc === undefined) continue;
        s.member = proc.id;
        this.counts.moves++;
      }
      s.opening = true;
      const start = s.next;
      const w = await openWatch(proc, start, this.open).finally(() => (s.opening = false));
      if (w === undefined) continue;
      s.current = w;
      s.segment = { member: proc.id, startRevision: start, batches: w.batches };
      s.data.segments.push(s.segment);
    }
  }

  /** Moves `next` past what the stream's current watch delivered. */
  private consume(s: ChaosWatches['streams'][number]): void {
    for (const b of s.current?.batches ?? []) {
      const last = b.events[b.events.length - 1]?.modRevision;
      if (b.progressNotify) s.next = Math.max(s.next, b.revision + 1);
      else if (last !== undefined) s.next = Math.max(s.next, last + 1);
    }
  }

  /**
   * After healing: reads every running member's whole history (a watch from revision 1, up
   * to a progress notification), requires them to be equal, brings every stream to the
   * current revision (progress requests), and checks the streams against the history.
   */
  async check(timeoutMs = 30_000): Promise<WatchReport> {
    const deadline = Date.now() + timeoutMs;
    const violations: WatchViolation[] = [];
    const histories = new Map<number, { end: number; history: CommittedRevision[] }>();
    for (const proc of this.c.running()) {
      const w = await openWatch(proc, 1, this.open);
      if (w === undefined) throw new Error(`member ${proc.id} could not open a watch from revision 1`);
      let done: ObservedBatch | undefined;
      while ((done = w.batches.find((b) => b.progressNotify)) === undefined) {
        if (Date.now() > deadline) throw new Error(`member ${proc.id}: no progress notification on its history watch`);
        await proc.request({ op: 'progress', watchId: w.watchId });
        await new Promise((r) => setTimeout(r, 100));
      }
      const history: CommittedRevision[] = [];
      for (const b of w.batches.slice(0, w.batches.indexOf(done))) for (const e of b.events) {
        const last = history[history.length - 1];
        if (last?.revision === e.modRevision) last.events.push(e);
        else history.push({ revision: e.modRevision, events: [e] });
      }
      histories.set(proc.id, { end: done.revision, history });
      this.open.delete(w);
    }
    const [first] = histories.values();
    if (first === undefined) throw new Error('no running member to read the history from');
    for (const [id, h] of histories) {
      if (h.end !== first.end || JSON.stringify(h.history) !== JSON.stringify(first.history)) {
        violations.push({ guarantee: 'history', stream: `member ${id}`, detail: `its history (to revision ${h.end}) differs from another member's (to ${first.end})` });
      }
    }
    const end = first.end;
    while (this.streams.some((s) => s.next <= end) && Date.now() < deadline) {
      await this.tick();
      for (const s of this.streams) if (s.next <= end && s.current !== undefined && s.current.watchId >= 0) await s.current.proc.request({ op: 'progress', watchId: s.current.watchId });
      await new Promise((r) => setTimeout(r, 100));
      for (const s of this.streams) this.consume(s);
    }
    clearInterval(this.timer);
    violations.push(...checkWatchStreams(first.history, this.streams.map((s) => s.data), end));
    const all = this.streams.flatMap((s) => s.data.segments.flatMap((g) => g.batches));
    return {
      streams: this.streams.length,
      resumes: this.counts.resumes,
      moves: this.counts.moves,
      events: all.reduce((n, b) => n + b.events.length, 0),
      progress: all.filter((b) => b.progressNotify).length,
      endRevision: end,
      violations,
    };
  }

  /** Stops keeping the streams open. */
  stop(): void {
    clearInterval(this.timer);
  }
}
