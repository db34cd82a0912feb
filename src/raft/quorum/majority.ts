import { VoteResult, type AckedIndexer } from './vote-result.js';

/**
 * A set of voter ids that remembers when it last changed, so that {@link MajorityConfig}
 * can cache its sorted id list and still notice direct `add`/`delete`/`clear` calls.
 */
class VersionedIdSet extends Set<number> {
  /** Incremented on every change to the membership of the set. */
  version = 0;

  override add(id: number): this {
    if (!this.has(id)) {
      super.add(id);
      this.version++;
    }
    return this;
  }

  override delete(id: number): boolean {
    const removed = super.delete(id);
    if (removed) this.version++;
    return removed;
  }

  override clear(): void {
    if (this.size !== 0) this.version++;
    super.clear();
  }
}

/** Above this many voters {@link MajorityConfig.committedIndex} sorts natively instead of by insertion. */
const INSERTION_SORT_MAX = 16;

function byNumber(a: number, b: number): number {
  return a - b;
}

/**
 * A set of voter ids that makes decisions by simple majority (etcd's `quorum.MajorityConfig`).
 * Pure math: it knows nothing about Raft beyond ids and indexes.
 *
 * Invariant: the quorum size is `floor(size / 2) + 1`; an empty config wins every vote and
 * commits everything (`Infinity`), so that it is neutral inside a {@link JointConfig}.
 */
export class MajorityConfig {
  /**
   * The voter ids. It may be changed in place (`add`, `delete`, `clear`); the cached sorted
   * view and scratch buffer follow such changes automatically.
   */
  readonly ids: Set<number>;

  private readonly idSet: VersionedIdSet;
  private sorted: number[] = [];
  private sortedVersion = -1;
  private scratch: Float64Array = new Float64Array(0);

  /** @param ids - the initial voter ids (duplicates are ignored). */
  constructor(ids?: Iterable<number>) {
    const set = new VersionedIdSet();
    if (ids !== undefined) for (const id of ids) set.add(id);
    this.idSet = set;
    this.ids = set;
  }

  /** The number of voters. */
  get size(): number {
    return this.idSet.size;
  }

  /** Whether `id` is a voter of this config. */
  has(id: number): boolean {
    return this.idSet.has(id);
  }

  /** The ids in ascending order, as a new array the caller may keep or change. */
  slice(): number[] {
    return this.sortedIds().slice();
  }

  /**
   * The ids in ascending order, from a cache rebuilt only when the set changed. The array
   * is shared: callers must not modify it.
   */
  sortedIds(): readonly number[] {
    const set = this.idSet;
    if (this.sortedVersion !== set.version) {
      this.sorted = [...set].sort(byNumber);
      this.sortedVersion = set.version;
    }
    return this.sorted;
  }

  /**
   * The largest index acknowledged by a majority of the voters. A voter whose ack is
   * unknown counts as having acknowledged 0. Returns `Infinity` for an empty config, so
   * that `min()` over a joint config yields the other half's answer.
   *
   * Runs on every append response: it reuses a scratch buffer and allocates nothing once
   * warmed up.
   */
  committedIndex(l: AckedIndexer): number {
    const ids = this.sortedIds();
    const n = ids.length;
    if (n === 0) return Infinity;
    let srt = this.scratch;
    if (srt.length < n) srt = this.scratch = new Float64Array(n);
    if (n <= INSERTION_SORT_MAX) {
      // Insertion sort (ascending) while filling: cheapest for the usual 1–7 voters.
      for (let i = 0; i < n; i++) {
        const v = l(ids[i]!) ?? 0;
        let j = i;
        while (j > 0 && srt[j - 1]! > v) {
          srt[j] = srt[j - 1]!;
          j--;
        }
        srt[j] = v;
      }
    } else {
      for (let i = 0; i < n; i++) srt[i] = l(ids[i]!) ?? 0;
      srt.subarray(0, n).sort();
    }
    // The smallest position whose index is acked by a quorum: counting n/2+1 from the top.
    return srt[n - ((n >> 1) + 1)]!;
  }

  /**
   * Counts `votes` (id → granted) against this config. Voters absent from `votes` are
   * pending; entries for non-voters are ignored. An empty config wins by convention.
   */
  voteResult(votes: ReadonlyMap<number, boolean>): VoteResult {
    const ids = this.sortedIds();
    const n = ids.length;
    if (n === 0) return VoteResult.VoteWon;
    let granted = 0;
    let missing = 0;
    for (let i = 0; i < n; i++) {
      const v = votes.get(ids[i]!);
      if (v === undefined) missing++;
      else if (v) granted++;
    }
    const q = (n >> 1) + 1;
    if (granted >= q) return VoteResult.VoteWon;
    if (granted + missing >= q) return VoteResult.VotePending;
    return VoteResult.VoteLost;
  }

  /** The ids in ascending order inside parentheses, for example `(1 2 3)`; `()` when empty. */
  toString(): string {
    return `(${this.sortedIds().join(' ')})`;
  }

  /** A copy with its own id set. */
  clone(): MajorityConfig {
    return new MajorityConfig(this.sortedIds());
  }

  /**
   * A multi-line table of the voters' acknowledged indexes with a bar per voter: the
   * voter with the i-th smallest index gets a bar of length i (equal indexes, equal bars),
   * and a voter whose index is unknown is shown as `?` with index 0. Used by golden tests
   * (etcd's `MajorityConfig.Describe`).
   */
  describe(l: AckedIndexer): string {
    const n = this.size;
    if (n === 0) return '<empty majority quorum>';
    const rows = this.sortedIds().map((id) => {
      const idx = l(id);
      return { id, idx: idx ?? 0, known: idx !== undefined, bar: 0 };
    });
    const byIndex = rows.slice().sort((a, b) => a.idx - b.idx || a.id - b.id);
    for (let i = 1; i < byIndex.length; i++) {
      const row = byIndex[i]!;
      const prev = byIndex[i - 1]!;
      row.bar = prev.idx < row.idx ? i : prev.bar;
    }
    let out = `${' '.repeat(n)}    idx\n`;
    for (const r of rows) {
      const bar = r.known ? `${'x'.repeat(r.bar)}>${' '.repeat(n - r.bar)}` : `?${' '.repeat(n)}`;
      out += `${bar} ${String(r.idx).padStart(5)}    (id=${r.id})\n`;
    }
    return out;
  }
}
