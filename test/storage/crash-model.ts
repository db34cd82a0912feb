import { EntryType, type Entry, type HardState } from '../../src/raft/entry.js';
import type { SeededRng } from '../../src/raft/rng.js';
import type { Storage } from '../../src/storage/storage.js';
import { currentSnapshot } from '../../src/replica/snapshot-io.js';

/** One write of the crash child. */
export type CrashOp =
  | { kind: 'save'; start: number; n: number; term: number; hardState: HardState }
  | { kind: 'snap'; index: number }
  | { kind: 'compact'; index: number };

/** The 100-byte entry the child writes at (index, term); the parent recomputes it to check. */
export function crashEntry(index: number, term: number): Entry {
  const data = new Uint8Array(100);
  for (let k = 0; k < data.length; k++) data[k] = (index * 131 + term * 17 + k) & 0xff;
  return { index, term, type: EntryType.EntryNormal, data };
}

/** What the parent expects on disk: terms by index from the compaction point to the last index. */
export interface CrashModel {
  hardState: HardState;
  first: number;
  snapIndex: number;
  terms: Map<number, number>;
}

/** Reads the model back from a storage, checking each entry's payload. */
export function observeModel(s: Storage): CrashModel {
  const first = s.firstIndex();
  const last = s.lastIndex();
  const terms = new Map<number, number>();
  terms.set(first - 1, s.term(first - 1));
  const entries = first <= last ? s.entries(first, last + 1, Infinity) : [];
  if (entries.length !== last - first + 1) throw new Error(`entries(${first}, ${last + 1}) returned ${entries.length}`);
  for (const e of entries) {
    const want = crashEntry(e.index, e.term);
    if (!Buffer.from(e.data).equals(Buffer.from(want.data))) throw new Error(`entry ${e.index}: wrong payload`);
    terms.set(e.index, e.term);
  }
  return { hardState: s.initialState().hardState, first, snapIndex: currentSnapshot(s).metadata.index, terms };
}

/** Applies one op to a copy of the model. */
export function applyOp(m: CrashModel, op: CrashOp): CrashModel {
  const next: CrashModel = { ...m, terms: new Map(m.terms) };
  if (op.kind === 'save') {
    for (const i of [...next.terms.keys()]) if (i >= op.start) next.terms.delete(i);
    for (let k = 0; k < op.n; k++) next.terms.set(op.start + k, op.term);
    next.hardState = op.hardState;
  } else if (op.kind === 'snap') {
    next.snapIndex = op.index;
  } else {
    for (const i of [...next.terms.keys()]) if (i < op.index) next.terms.delete(i);
    next.first = op.index + 1;
  }
  return next;
}

/** A comparable rendering of a model. */
export function describeModel(m: CrashModel): string {
  const terms = [...m.terms.entries()].sort((a, b) => a[0] - b[0]).map(([i, t]) => `${i}:${t}`);
  return `hs=${JSON.stringify(m.hardState)} first=${m.first} snap=${m.snapIndex} log=[${terms.join(' ')}]`;
}

/** The storages the crash test runs against. */
export type CrashStorageKind = 'level' | 'wal';

/** Opens the storage of `kind` at `dir` (WalStorage with small segments, so crashes hit rolls and releases). */
export async function openCrashStorage(kind: CrashStorageKind, dir: string): Promise<Storage & { recovery: unknown }> {
  if (kind === 'level') {
    const { LevelStorage } = await import('../../src/storage/level-storage.js');
    return LevelStorage.open({ path: dir });
  }
  const { WalStorage } = await import('../../src/storage/wal/wal-storage.js');
  return WalStorage.open({ dir, segmentSize: 8192 });
}

/** A seeded op mix (appends, overwrites, snapshots, compactions), chosen from the storage's state. */
export function nextCrashOp(s: Storage, rng: SeededRng): CrashOp {
  const hs = s.initialState().hardState;
  const last = s.lastIndex();
  const snapIndex = currentSnapshot(s).metadata.index;
  const roll = rng.nextInt(100);
  if (roll < 6 && hs.commit > snapIndex) return { kind: 'snap', index: hs.commit };
  if (roll < 10 && snapIndex >= s.firstIndex()) return { kind: 'compact', index: snapIndex };
  const overwrite = rng.nextInt(5) === 0 && last > hs.commit;
  const start = overwrite ? hs.commit + 1 + rng.nextInt(last - hs.commit) : last + 1;
  const term = Math.max(hs.term, s.term(start - 1)) + (overwrite || rng.nextInt(10) === 0 ? 1 : 0);
  const n = 1 + rng.nextInt(16);
  const commit = Math.min(start + n - 1, hs.commit + rng.nextInt(n + 1));
  return { kind: 'save', start, n, term, hardState: { term, vote: 1, commit: Math.max(commit, hs.commit) } };
}
