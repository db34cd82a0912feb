import type { LinearizedSet, LinearizedSnapshot } from './bitset.js';

/**
 * Numbers model states by their hash (and {@link Model.equal}, when given), so the
 * configuration cache compares small integers instead of strings.
 */
export class StateTable<State> {
  private readonly ids = new Map<string, { state: State; id: number }[]>();
  private count = 0;
  private readonly hash: (s: State) => string;
  private readonly equal: ((a: State, b: State) => boolean) | undefined;

  constructor(hash: (s: State) => string, equal: ((a: State, b: State) => boolean) | undefined) {
    this.hash = hash;
    this.equal = equal;
  }

  idOf(state: State): number {
    const h = this.hash(state);
    let list = this.ids.get(h);
    if (list === undefined) {
      list = [];
      this.ids.set(h, list);
    }
    for (const entry of list) if (this.equal === undefined || entry.state === state || this.equal(entry.state, state)) return entry.id;
    list.push({ state, id: this.count });
    return this.count++;
  }
}

/** One cached configuration: its state id and linearized set. */
interface Slot {
  readonly sid: number;
  readonly snap: LinearizedSnapshot;
}

/**
 * Memo of configurations already explored: (linearized set, model state). Reaching a
 * configuration again cannot lead anywhere new, and neither can one with the same
 * required operations and state but more unknown operations linearized (it has fewer
 * options left), so the search prunes both.
 */
export class ConfigurationCache {
  private readonly slots = new Map<number, Slot[]>();

  private keyOf(set: LinearizedSet, sid: number): number {
    return (set.hash ^ Math.imul(sid + 1, 0x9e3779b1)) | 0;
  }

  /** Records the configuration; returns false if it (or one that covers it) was already there. */
  add(set: LinearizedSet, sid: number): boolean {
    const key = this.keyOf(set, sid);
    let bucket = this.slots.get(key);
    if (bucket === undefined) {
      bucket = [];
      this.slots.set(key, bucket);
    }
    let stale = 0;
    for (const slot of bucket) {
      if (slot.sid !== sid || !set.matches(slot.snap)) continue;
      if (set.covers(slot.snap)) return false;
      if (set.coveredBy(slot.snap)) stale++;
    }
    // Keep each (required set, state) an antichain of unknown sets: drop the ones this configuration covers.
    if (stale > 0) bucket = this.prune(bucket, set, sid);
    bucket.push({ sid, snap: set.snapshot() });
    return true;
  }

  private prune(bucket: Slot[], set: LinearizedSet, sid: number): Slot[] {
    const kept = bucket.filter((slot) => slot.sid !== sid || !set.matches(slot.snap) || !set.coveredBy(slot.snap));
    this.slots.set(this.keyOf(set, sid), kept);
    return kept;
  }
}

