/**
 * etcd's Maintenance.HashKV (its `store.HashByRev`) over raftkit's KV records: one CRC-32C
 * (Castagnoli) over the `key` bucket's name, then the key and value of each row of that bucket
 * up to the hashed revision, as etcd stores the row (the revision key, `t`-marked for a delete,
 * and the `mvccpb.KeyValue` protobuf). Rows at or below the compacted revision count only when a
 * compaction at the hashed revision would keep them (etcd's `keep` set); where that set is empty,
 * etcd hashes every row its backend still holds, which once its compaction has finished are the
 * rows that compaction kept. raftkit hashes those rows whether or not its own physical
 * compaction has finished, so the hash equals the one etcd computes on the same history once
 * its compaction is done, and never depends on how far a member's background work has gone.
 * @module
 */
import { crc32c } from '../../storage/crc32c.js';
import { decodeRevision } from '../mvcc/revision.js';
import { revKey } from '../mvcc/store.js';
import { decodeKv } from '../record.js';
import { etcdKeyRow } from './backend-writer.js';

const KEY_BUCKET = new TextEncoder().encode('key');

/** Which rows {@link hashKvRecords} covers. */
export interface HashKvScope {
  /** The revision hashed up to (inclusive). */
  readonly revision: number;
  /** The compacted revision (-1 before any compaction): rows at or below it count only when kept. */
  readonly compactRevision: number;
  /** The revisions a compaction at `revision` would keep (the store's `keep(revision)`). */
  readonly keep: ReadonlySet<string>;
  /** The revisions the compaction at `compactRevision` kept, consulted when `keep` is empty. */
  readonly compacted: () => ReadonlySet<string>;
}

/**
 * The HashKV hash of `records` (raftkit revision records `[revision key, msgpack key-value]`
 * in revision order) over `scope`, as an unsigned 32-bit number.
 */
export async function hashKvRecords(records: AsyncIterable<readonly [Uint8Array, Uint8Array]>, scope: HashKvScope): Promise<number> {
  const below = scope.keep.size > 0 ? scope.keep : undefined;
  let compacted: ReadonlySet<string> | undefined;
  let h = crc32c(KEY_BUCKET);
  for await (const [k, v] of records) {
    const { rev, tombstone } = decodeRevision(k);
    if (rev.main > scope.revision) break;
    if (rev.main <= scope.compactRevision && !(below ?? (compacted ??= scope.compacted())).has(revKey(rev))) continue;
    const row = etcdKeyRow({ rev, tombstone, kv: decodeKv(v) });
    h = crc32c(row.value, crc32c(row.key, h));
  }
  return h >>> 0;
}
