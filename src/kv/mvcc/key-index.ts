import type { Revision } from './revision.js';

/**
 * One life of a key, from its creation to its deletion (etcd's `generation`). The last
 * revision of every generation but the newest is the tombstone that ended it.
 */
export interface Generation {
  /** Writes in this generation (including those compacted away). */
  ver: number;
  /** The revision that created the key in this generation. */
  created: Revision;
  /** The revisions still held, ascending. */
  revs: Revision[];
}

/** What {@link KeyIndex.get} finds at a revision. */
export interface KeyAt {
  /** The key's revision at or before the revision read. */
  modified: Revision;
  /** The revision that created the key's generation. */
  created: Revision;
  /** The key's version at that revision. */
  version: number;
}

const emptyGeneration = (): Generation => ({ ver: 0, created: { main: 0, sub: 0 }, revs: [] });

/**
 * The history of one key as a list of generations (etcd's `keyIndex`). A put appends to the
 * newest generation; a tombstone appends the deletion and opens a new, empty generation.
 *
 * Invariant: revisions across all generations are strictly increasing; only the newest
 * generation may be empty.
 */
export class KeyIndex {
  /** The key (binary string). */
  readonly key: string;
  /** The latest revision of the key (put or tombstone). */
  modified: Revision = { main: 0, sub: 0 };
  /** The generations, oldest first. */
  generations: Generation[] = [];

  /** @param key - the key (binary string). */
  constructor(key: string) {
    this.key = key;
  }

  /** Rebuilds the index of a key from a stored record (etcd's `restore`): one generation. */
  static restore(key: string, created: Revision, modified: Revision, ver: number): KeyIndex {
    const ki = new KeyIndex(key);
    ki.modified = modified;
    ki.generations = [{ ver, created, revs: [modified] }];
    return ki;
  }

  /** Records a write of the key at `rev`, which must be after every revision held. */
  put(rev: Revision): void {
    if (this.generations.length === 0) this.generations.push(emptyGeneration());
    const g = this.generations[this.generations.length - 1]!;
    if (g.revs.length === 0) g.created = rev;
    g.revs.push(rev);
    g.ver++;
    this.modified = rev;
  }

  /** Records the deletion of the key at `rev`; false (nothing done) when the key is not live. */
  tombstone(rev: Revision): boolean {
    const g = this.generations[this.generations.length - 1];
    if (g === undefined || g.revs.length === 0) return false;
    this.put(rev);
    this.generations.push(emptyGeneration());
    return true;
  }

  /** Whether the key exists (is not deleted) at its latest revision. */
  isLive(): boolean {
    const g = this.generations[this.generations.length - 1];
    return g !== undefined && g.revs.length > 0;
  }

  /** The key's state at store revision `atRev`, or undefined when it did not exist then. */
  get(atRev: number): KeyAt | undefined {
    const g = this.findGeneration(atRev);
    if (g === undefined) return undefined;
    for (let n = g.revs.length - 1; n >= 0; n--) {
      const r = g.revs[n]!;
      if (r.main <= atRev) return { modified: r, created: g.created, version: g.ver - (g.revs.length - n - 1) };
    }
    return undefined;
  }

  /**
   * The generation live at `rev` (etcd's `findGeneration`): the newest non-empty generation
   * that started at or before `rev` and, unless it is the newest, was not deleted by then.
   */
  private findGeneration(rev: number): Generation | undefined {
    const last = this.generations.length - 1;
    for (let cg = last; cg >= 0; cg--) {
      const g = this.generations[cg]!;
      if (g.revs.length === 0) continue;
      if (cg !== last && g.revs[g.revs.length - 1]!.main <= rev) return undefined;
      if (g.revs[0]!.main <= rev) return g;
    }
    return undefined;
  }

  /**
   * The revisions with main >= `rev`, keeping only the last change of each main revision
   * (etcd's `since`; what a watcher catching up needs).
   */
  since(rev: number): Revision[] {
    const out: Revision[] = [];
    let last = -1;
    for (const g of this.generations) {
      for (const r of g.revs) {
        if (r.main < rev) continue;
        if (r.main === last) out[out.length - 1] = r;
        else out.push(r);
        last = r.main;
      }
    }
    return out;
  }

  /**
   * Where the key stands at `atRev` (etcd's `keyIndex.doCompact`): the first generation not
   * deleted at or before `atRev` (the newest when all are), and the index in it of the latest
   * revision at or before `atRev` (-1 when it has none).
   */
  #at(atRev: number): { genIdx: number; revIndex: number } {
    let genIdx = 0;
    while (genIdx < this.generations.length - 1) {
      const g = this.generations[genIdx]!;
      if (g.revs[g.revs.length - 1]!.main > atRev) break;
      genIdx++;
    }
    const revs = this.generations[genIdx]!.revs;
    let revIndex = revs.length - 1;
    while (revIndex >= 0 && revs[revIndex]!.main > atRev) revIndex--;
    return { genIdx, revIndex };
  }

  /**
   * Adds to `keep` the revision a compaction at `atRev` would keep, without compacting (etcd's
   * `keyIndex.keep`, which its `HashKV` hashes by): the key's latest revision at or before
   * `atRev`, unless the key was deleted then.
   */
  keep(atRev: number, keep: Set<string>, revKey: (r: Revision) => string): void {
    const { genIdx, revIndex } = this.#at(atRev);
    const g = this.generations[genIdx]!;
    if (revIndex === -1 || (revIndex === g.revs.length - 1 && genIdx !== this.generations.length - 1)) return;
    keep.add(revKey(g.revs[revIndex]!));
  }

  /**
   * Drops the history before `atRev` (etcd's `keyIndex.compact`): generations deleted at or
   * before `atRev` go; in the generation live at `atRev`, only the latest revision at or before
   * it stays (added to `keep`, the revisions the store must keep). Returns true when nothing
   * remains, so the caller removes the key.
   */
  compact(atRev: number, keep: Set<string> | undefined, revKey: (r: Revision) => string): boolean {
    const { revIndex, genIdx: at } = this.#at(atRev);
    let genIdx = at;
    const g = this.generations[genIdx]!;
    if (revIndex !== -1) keep?.add(revKey(g.revs[revIndex]!));
    if (g.revs.length > 0) {
      if (revIndex !== -1) g.revs = g.revs.slice(revIndex);
      if (g.revs.length === 1 && genIdx !== this.generations.length - 1) {
        keep?.delete(revKey(g.revs[0]!));
        genIdx++;
      }
    }
    this.generations = this.generations.slice(genIdx);
    return this.generations.length === 1 && this.generations[0]!.revs.length === 0;
  }
}
