/**
 * Test helper: a tiny model of etcd's MVCC history. It turns a list of transactions into the rows
 * of etcd's `key` bucket (create revision, version, tombstones, sub revisions), applies etcd's
 * compaction rule (per key, keep the newest row at or below the compaction revision unless it is
 * a tombstone, and every row above it) and answers "which key/values are live at revision r".
 */
import type { StoredRevision } from '../../../src/kv/etcd-backend/backend-writer.js';
import type { StoredKeyValue } from '../../../src/kv/etcd-backend/proto.js';

/** One op of a transaction. */
export type Op = { put: string; value: string; lease?: bigint } | { del: string };

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Rows of the key bucket for `txns`, revision 2 onwards (etcd's first write is revision 2). */
export function rowsOf(txns: readonly (readonly Op[])[]): StoredRevision[] {
  const live = new Map<string, StoredKeyValue>();
  const rows: StoredRevision[] = [];
  txns.forEach((ops, i) => {
    const main = i + 2;
    ops.forEach((op, sub) => {
      if ('del' in op) {
        live.delete(op.del);
        rows.push({ rev: { main, sub }, tombstone: true, kv: { key: enc.encode(op.del), createRevision: 0, modRevision: 0, version: 0, value: new Uint8Array(0), lease: 0n } });
        return;
      }
      const prev = live.get(op.put);
      const kv = { key: enc.encode(op.put), createRevision: prev?.createRevision ?? main, modRevision: main, version: (prev?.version ?? 0) + 1, value: enc.encode(op.value), lease: op.lease ?? 0n };
      live.set(op.put, kv);
      rows.push({ rev: { main, sub }, tombstone: false, kv });
    });
  });
  return rows;
}

/** etcd's compaction of `rows` at revision `at`. */
export function compact(rows: readonly StoredRevision[], at: number): StoredRevision[] {
  const newestAtOrBelow = new Map<string, StoredRevision>();
  for (const r of rows) if (r.rev.main <= at) newestAtOrBelow.set(dec.decode(r.kv.key), r);
  const keep = new Set([...newestAtOrBelow.values()].filter((r) => !r.tombstone));
  return rows.filter((r) => r.rev.main > at || keep.has(r));
}

/** The live key/values at revision `rev`, sorted by key, as "key=value@create/mod/version/lease" strings. */
export function liveAt(rows: readonly StoredRevision[], rev: number): string[] {
  const live = new Map<string, StoredKeyValue>();
  for (const r of rows) {
    if (r.rev.main > rev) break;
    const k = dec.decode(r.kv.key);
    if (r.tombstone) live.delete(k);
    else live.set(k, r.kv);
  }
  return [...live.keys()].sort().map((k) => describeKv(live.get(k)!));
}

/** One key/value as a comparable string. */
export function describeKv(kv: { key: Uint8Array; value: Uint8Array; createRevision: number; modRevision: number; version: number; lease: bigint }): string {
  return `${dec.decode(kv.key)}=${dec.decode(kv.value)}@${String(kv.createRevision)}/${String(kv.modRevision)}/${String(kv.version)}/${String(kv.lease)}`;
}

/** A deterministic workload: `keys` keys, a few rounds of puts, deletes, 2-op txns and leased keys. */
export function workload(keys: number, lease: bigint): Op[][] {
  const name = (i: number): string => `key/${String(i).padStart(5, '0')}`;
  const txns: Op[][] = [];
  for (let i = 0; i < keys; i++) txns.push([{ put: name(i), value: `v0-${String(i)}` }]);
  for (let i = 0; i < keys; i += 2) txns.push([{ put: name(i), value: `v1-${String(i)}` }]);
  for (let i = 0; i < keys; i += 7) txns.push([{ del: name(i) }]);
  for (let i = 1; i < keys; i += 11) txns.push([{ put: name(i), value: `v2-${String(i)}` }, { put: `${name(i)}/child`, value: 'c' }]);
  for (let i = 3; i < keys; i += 13) txns.push([{ put: name(i), value: `leased-${String(i)}`, lease }]);
  for (let i = 0; i < keys; i += 5) txns.push([{ put: name(i), value: `v3-${String(i)}` }]);
  return txns;
}

/**
 * Splits `history` into groups of at most `max` consecutive txns in which no key is touched twice:
 * sending a group's txns concurrently keeps every key's ops in order (same values, versions and
 * revision count as sequential); only the interleaving of different keys' revisions may vary.
 */
export function conflictFreeGroups(history: readonly (readonly Op[])[], max = 100): (readonly Op[])[][] {
  const groups: (readonly Op[])[][] = [];
  let group: (readonly Op[])[] = [];
  let keys = new Set<string>();
  for (const ops of history) {
    const touched = ops.map((op) => ('del' in op ? op.del : op.put));
    if (group.length === max || touched.some((k) => keys.has(k))) {
      groups.push(group);
      group = [];
      keys = new Set();
    }
    group.push(ops);
    for (const k of touched) keys.add(k);
  }
  if (group.length > 0) groups.push(group);
  return groups;
}
