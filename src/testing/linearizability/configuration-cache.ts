import type { LinearizedSet, LinearizedSnapshot } from './bitset.js';

/**
 * Numbers model states by their hash (and {@link Model.equal}, when given), so the
 * configuration cache compares small integers instead of strings.
 */
export class StateTable<State> {
  /** Without `equal`: ids by hash. */
  private readonly byHash = new Map<string, number>();
  /** With `equal`: the states (and ids) of each hash. */
  private readonly lists = new Map<string, { state: State; id: number }[]>();
  /** Primitive states seen, by value, so that one met again is not hashed again. */
  private readonly primitives = new Map<State, number>();
  private count = 0;
  private readonly hash: (s: State) => string;
  private readonly equal: ((a: State, b: State) => boolean) | undefined;

  constructor(hash: (s: State) => string, equal: ((a: State, b: State) => boolean) | undefined) {
    this.hash = hash;
    this.equal = equal;
  }

  idOf(state: State): number {
    const primitive = typeof state !== 'object' || state === null;
    if (primitive) {
      const seen = this.primitives.get(state);
      if (seen !== undefined) return seen;
    }
    const id = this.equal === undefined ? this.byHashOnly(state) : this.byEqual(state, this.equal);
    if (primitive) this.primitives.set(state, id);
    return id;
  }

  private byHashOnly(state: State): number {
    const h = this.hash(state);
    let id = this.byHash.get(h);
    if (id === undefined) {
      id = this.count++;
      this.byHash.set(h, id);
    }
    return id;
  }

  private byEqual(state: State, equal: (a: State, b: State) => boolean): number {
    const h = this.hash(state);
    let list = this.lists.get(h);
    if (list === undefined) {
      list = [];
      this.lists.set(h, list);
    }
    for (const entry of list) if (entry.state === state || equal(entry.state, state)) return entry.id;
    const id = this.count++;
    list.push({ state, id });
    return id;
  }
}

/**
 * Memo of configurations already explored: (linearized set, model state). Reaching a
 * configuration again cannot lead anywhere new, and neither can one with the same
 * required operations and state but more unknown operations linearized (it has fewer
 * options left), so the search prunes both. Entries with the same key are chained
 * through their `next` field (no bucket arrays).
 */
export class ConfigurationCache {
  private readonly slots = new Map<number, LinearizedSnapshot>();

  /** Records the configuration; returns false if it (or one that covers it) was already there. */
  add(set: LinearizedSet, sid: number): boolean {
    const key = (set.hash ^ Math.imul(sid + 1, 0x9e3779b1)) | 0;
    const first = this.slots.get(key);
    let stale = 0;
    for (let slot = first; slot !== undefined; slot = slot.next) {
      if (slot.sid !== sid || !set.matches(slot)) continue;
      if (set.covers(slot)) return false;
      if (set.coveredBy(slot)) stale++;
    }
    // Keep each (required set, state) an antichain of unknown sets: drop the ones this configuration covers.
    const kept = stale > 0 ? this.prune(first, set, sid) : first;
    this.slots.set(key, set.snapshot(sid, kept));
    return true;
  }

  private prune(first: LinearizedSnapshot | undefined, set: LinearizedSet, sid: number): LinearizedSnapshot | undefined {
    let head: LinearizedSnapshot | undefined;
    let tail: LinearizedSnapshot | undefined;
    for (let slot = first; slot !== undefined; ) {
      const next = slot.next;
      if (slot.sid !== sid || !set.matches(slot) || !set.coveredBy(slot)) {
        slot.next = undefined;
        if (tail === undefined) head = slot;
        else tail.next = slot;
        tail = slot;
      }
      slot = next;
    }
    return head;
  }
}
