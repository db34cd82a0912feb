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

/** A KV snapshot frame with a msgpack body, as formats 2 and 3 wrote every frame (for tests of older snapshots). */
export function msgpackFrame(body: unknown): Uint8Array {
  const b = pack(body);
  const out = new Uint8Array(4 + b.byteLength);
  new DataView(out.buffer).setUint32(0, b.byteLength);
  out.set(b, 4);
  return out;
}
