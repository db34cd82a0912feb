/**
 * A checker of KV watch streams against the committed history, for etcd's six documented watch
 * guarantees (ordered, unique, reliable, atomic, resumable, bookmarkable). It works on plain
 * data (keys and values as text), so the same check serves the simulated cluster and real member
 * processes.
 *
 * @internal
 */

/** One event of the committed history or of a watch stream. */
export interface WatchCheckEvent {
  /** `'PUT'` or `'DELETE'`. */
  type: 'PUT' | 'DELETE';
  /** The key. */
  key: string;
  /** The value (empty for a DELETE). */
  value: string;
  /** The revision that wrote it. */
  modRevision: number;
  /** For a PUT, the key's create revision (0 for a DELETE). */
  createRevision: number;
  /** For a PUT, the key's version (0 for a DELETE). */
  version: number;
  /** The previous value, when the watch asked for `prevKv` (`null`: the key did not exist). */
  prevValue?: string | null;
}

/** One revision of the committed history: its events in op order. */
export interface CommittedRevision {
  /** The revision. */
  revision: number;
  /** Its events in op order. */
  events: WatchCheckEvent[];
}

/** What a watch stream watches. */
export interface WatchCheckSpec {
  /** The first key. */
  key: string;
  /** The end of the range (exclusive); `''` for the key alone. */
  rangeEnd: string;
  /** Leave out PUTs. */
  noPut?: boolean;
  /** Leave out DELETEs. */
  noDelete?: boolean;
  /** Whether events carry the previous value (checked against the history). */
  prevKv?: boolean;
}

/** One batch a watcher delivered. */
export interface ObservedBatch {
  /** The batch header's revision. */
  revision: number;
  /** Its events. */
  events: WatchCheckEvent[];
  /** A progress notification. */
  progressNotify: boolean;
  /** The watch ended. */
  canceled: boolean;
  /** More fragments of the same revision follow. */
  fragment: boolean;
}

/** One watch on one member: from its start revision until it ended or the run ended. */
export interface WatchSegment {
  /** The member it ran on. */
  member: number;
  /** The start revision it was opened with. */
  startRevision: number;
  /** What it delivered, in order. */
  batches: ObservedBatch[];
}

/** A logical watch stream: a first watch and its resumes (each after the last revision seen). */
export interface WatchStream {
  /** A name for reports. */
  name: string;
  /** What it watches. */
  spec: WatchCheckSpec;
  /** Its watches in order. */
  segments: WatchSegment[];
}

/** A broken guarantee. */
export interface WatchViolation {
  /** Which guarantee (or `'history'` for a wrong event, `'caught-up'` for a stream that never reached the end). */
  guarantee: 'ordered' | 'unique' | 'reliable' | 'atomic' | 'resumable' | 'bookmarkable' | 'history' | 'caught-up';
  /** The stream. */
  stream: string;
  /** What went wrong. */
  detail: string;
}

/** Whether `e` falls in `spec`'s range and filters. */
function watched(spec: WatchCheckSpec, e: WatchCheckEvent): boolean {
  if (spec.noPut === true && e.type === 'PUT') return false;
  if (spec.noDelete === true && e.type === 'DELETE') return false;
  if (spec.rangeEnd === '') return e.key === spec.key;
  return e.key >= spec.key && (spec.rangeEnd === '\0' || e.key < spec.rangeEnd);
}

function describe(e: WatchCheckEvent): string {
  return `${e.modRevision}:${e.type}:${e.key}${e.type === 'PUT' ? `=${e.value}@c${e.createRevision}v${e.version}` : ''}`;
}

/** The value of every key before each revision, for `prevKv` checks: `prev.get(rev)?.get(key)`. */
function previousValues(history: readonly CommittedRevision[]): Map<string, string | null>[] {
  const live = new Map<string, string>();
  const out: Map<string, string | null>[] = [];
  for (const r of history) {
    const before = new Map<string, string | null>();
    for (const e of r.events) if (!before.has(e.key)) before.set(e.key, live.get(e.key) ?? null);
    out[r.revision] = before;
    for (const e of r.events) {
      if (e.type === 'PUT') live.set(e.key, e.value);
      else live.delete(e.key);
    }
  }
  return out;
}

/**
 * Checks every stream against the committed history (every revision from 1 to `endRevision`,
 * in order, events in op order) and returns the broken guarantees:
 *
 * - **ordered**: events in revision order, and a revision's events in op order;
 * - **unique**: no event delivered twice (across resumes too);
 * - **reliable**: no watched event missing between the stream's start and the last revision
 *   it covers, and every event equal to the committed one (`history` otherwise);
 * - **atomic**: a batch holds whole revisions' watched events, one or several (unless fragmented);
 * - **resumable**: each resume starts right after the last revision seen (event or progress);
 * - **bookmarkable**: a progress notification at R comes after every watched event up to R
 *   (so no event at or below R may follow it);
 * - and each stream must cover `endRevision` (`caught-up`).
 */
export function checkWatchStreams(history: readonly CommittedRevision[], streams: readonly WatchStream[], endRevision: number): WatchViolation[] {
  const out: WatchViolation[] = [];
  const byRev = new Map(history.map((r) => [r.revision, r]));
  const prev = previousValues(history);
  for (const s of streams) {
    const fail = (guarantee: WatchViolation['guarantee'], detail: string): void => {
      if (out.filter((v) => v.stream === s.name).length < 8) out.push({ guarantee, stream: s.name, detail });
    };
    checkStream(s, byRev, prev, endRevision, fail);
  }
  return out;
}

function checkStream(
  s: WatchStream,
  byRev: ReadonlyMap<number, CommittedRevision>,
  prev: readonly Map<string, string | null>[],
  endRevision: number,
  fail: (g: WatchViolation['guarantee'], detail: string) => void,
): void {
  const first = s.segments[0];
  if (first === undefined) return;
  const wanted = (rev: number): WatchCheckEvent[] => (byRev.get(rev)?.events ?? []).filter((e) => watched(s.spec, e));
  /** Every revision below `covered` has been fully delivered (or has no watched event). */
  let covered = first.startRevision;
  /** Position inside revision `covered` (fragments). */
  let pos = 0;
  for (const [i, seg] of s.segments.entries()) {
    if (i > 0 && seg.startRevision !== covered) fail('resumable', `resume #${i} on member ${seg.member} started at ${seg.startRevision}, not right after the last revision seen (${covered})`);
    if (i > 0) {
      if (pos !== 0) fail('atomic', `resume #${i} in the middle of revision ${covered}`);
      covered = Math.max(covered, seg.startRevision);
      pos = 0;
    }
    for (const b of seg.batches) {
      if (b.canceled) continue;
      if (b.progressNotify) {
        if (b.events.length > 0) fail('bookmarkable', `progress notification at ${b.revision} with events`);
        // Every watched event up to R was delivered: nothing watched is left in [covered, R].
        for (let r = covered; r <= b.revision; r++) {
          const w = wanted(r);
          if (w.length > (r === covered ? pos : 0)) {
            fail('bookmarkable', `progress at ${b.revision} on member ${seg.member} before ${describe(w[r === covered ? pos : 0]!)} was delivered`);
            break;
          }
        }
        if (b.revision + 1 > covered) {
          covered = b.revision + 1;
          pos = 0;
        }
        continue;
      }
      for (const e of b.events) {
        if (e.modRevision > b.revision) fail('ordered', `event ${describe(e)} in a batch whose header revision is ${b.revision}`);
        if (e.modRevision < covered) {
          fail('unique', `${describe(e)} delivered again on member ${seg.member} (already past ${covered - 1})`);
          continue;
        }
        if (e.modRevision > covered) {
          // A batch may hold several revisions (a catch-up), each whole.
          if (pos !== 0 && pos < wanted(covered).length) {
            fail('atomic', `revision ${covered} cut short on member ${seg.member}: ${wanted(covered).length - pos} events missing`);
          }
          for (let r = pos === 0 ? covered : covered + 1; r < e.modRevision; r++) {
            const w = wanted(r);
            if (w.length > 0) {
              fail('reliable', `${describe(w[0]!)} never delivered on member ${seg.member} (next was ${describe(e)})`);
              break;
            }
          }
          covered = e.modRevision;
          pos = 0;
        }
        const want = wanted(covered)[pos];
        if (want === undefined) {
          fail(wanted(covered).length === 0 ? 'history' : 'unique', `${describe(e)} on member ${seg.member} is not in the committed history (revision ${covered} has ${wanted(covered).length} watched events)`);
          continue;
        }
        if (describe(want) !== describe(e)) fail(want.key === e.key && want.type === e.type ? 'history' : 'ordered', `got ${describe(e)} on member ${seg.member}, committed ${describe(want)}`);
        if (s.spec.prevKv === true) {
          const p = prev[covered]?.get(e.key) ?? null;
          if ((e.prevValue ?? null) !== p) fail('history', `${describe(e)} on member ${seg.member} has prevKv ${JSON.stringify(e.prevValue ?? null)}, committed ${JSON.stringify(p)}`);
        }
        pos++;
      }
      if (!b.fragment && b.events.length > 0) {
        if (pos !== wanted(covered).length) fail('atomic', `revision ${covered} split: a batch on member ${seg.member} ended after ${pos} of ${wanted(covered).length} events`);
        covered++;
        pos = 0;
      }
    }
  }
  // Reaching the end: everything up to endRevision delivered (a progress notification or events).
  for (let r = covered; r <= endRevision; r++) {
    if (wanted(r).length > pos) {
      fail('caught-up', `stream stopped at revision ${covered - 1} of ${endRevision}; ${describe(wanted(r)[pos]!)} never delivered`);
      return;
    }
    pos = 0;
  }
  if (covered <= endRevision) fail('caught-up', `stream covers revisions up to ${covered - 1} only (end ${endRevision}): no progress notification at the end`);
}
