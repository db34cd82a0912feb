import { pack } from '../../src/kv/record.js';
import { MvccApplier } from '../../src/kv/mvcc/apply.js';
import { revKey, MvccStore } from '../../src/kv/mvcc/store.js';
import type { KeyValue } from '../../src/kv/types.js';

/** An MVCC store whose "backend" is a map, committed after every command (as the state machine does per batch). */
export function memStore(minLeaseTtl = 2): { store: MvccStore; applier: MvccApplier; commit: () => void; records: Map<string, KeyValue> } {
  const records = new Map<string, KeyValue>();
  const store = new MvccStore({
    read: (revs) => Promise.resolve(revs.map((r) => records.get(revKey(r))!)),
  });
  const applier = new MvccApplier(store, minLeaseTtl);
  const commit = (): void => {
    for (const [k, kv] of store.pending) records.set(k, kv);
    store.commit();
  };
  return { store, applier, commit, records };
}

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

/** The part of a member's KV database {@link corruptStoredValue} needs (memory-level's and classic-level's alike). */
export interface StoredRecords {
  iterator(): AsyncIterable<[Uint8Array, Uint8Array]>;
  put(key: Uint8Array, value: Uint8Array): Promise<void>;
}

/**
 * Rewrites `value` as `replacement` (same length) in a member's stored revisions, behind Raft's
 * back, as a bad disk or a bug would; resolves to how many records it changed.
 */
export async function corruptStoredValue(db: StoredRecords, value: string, replacement: string): Promise<number> {
  const needle = Buffer.from(enc(value));
  let corrupted = 0;
  for await (const [k, v] of db.iterator()) {
    const at = Buffer.from(v).indexOf(needle);
    if (at < 0 || !dec(k).startsWith('!kv!')) continue;
    const bad = new Uint8Array(v);
    bad.set(enc(replacement), at);
    await db.put(k, bad);
    corrupted++;
  }
  return corrupted;
}

/** A KV snapshot frame with a msgpack body, as formats 2 and 3 wrote every frame (for tests of older snapshots). */
export function msgpackFrame(body: unknown): Uint8Array {
  const b = pack(body);
  const out = new Uint8Array(4 + b.byteLength);
  new DataView(out.buffer).setUint32(0, b.byteLength);
  out.set(b, 4);
  return out;
}
