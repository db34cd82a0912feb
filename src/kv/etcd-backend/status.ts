/**
 * What `etcdctl snapshot status` prints, computed the way etcd 3.4 does (clientv3/snapshot
 * `Status`): after bbolt's consistency check, one CRC-32C (Castagnoli) runs over every top-level
 * bucket's name followed by each of its keys and values, in bbolt order; `revision` is the main
 * revision of the `key` bucket's last key; `totalKey` counts the pairs of all buckets; `totalSize`
 * is bbolt's `Tx.Size()`, the high-water mark times the page size. Trailing bytes (the sha256 a
 * snapshot stream appends) are not part of the database and are ignored, as etcdctl does.
 * @module
 */
import { crc32c } from '../../storage/crc32c.js';
import { BoltReader } from '../bbolt/reader.js';
import { decodeRevKey } from './revision.js';

/** The four numbers `etcdctl snapshot status` reports. */
export interface SnapshotStatus {
  /** CRC-32C over bucket names, keys and values (etcdctl prints it in hex). */
  readonly hash: number;
  /** Main revision of the newest row of the `key` bucket. */
  readonly revision: number;
  /** Key/value pairs over all buckets. */
  readonly totalKey: number;
  /** Database size in bytes. */
  readonly totalSize: number;
}

/** Computes {@link SnapshotStatus} of a bbolt file; throws `SnapshotCorruptError` on a damaged one. */
export async function snapshotStatus(path: string): Promise<SnapshotStatus> {
  const bolt = await BoltReader.open(path);
  try {
    // One pass that both hashes and checks (the walk validates every page it reads).
    const visited = bolt.newVisited();
    let hash = 0;
    let revision = 0;
    let totalKey = 0;
    for await (const b of bolt.buckets(visited)) {
      hash = crc32c(b.name, hash);
      const isKey = b.name.length === 3 && b.name[0] === 0x6b && b.name[1] === 0x65 && b.name[2] === 0x79;
      for await (const batch of bolt.entryBatches(b, visited)) {
        for (const e of batch) {
          hash = crc32c(e.key, hash);
          if (e.isBucket) await bolt.checkBucket(bolt.openBucket(e.key, e.value), visited);
          else hash = crc32c(e.value, hash);
          totalKey++;
        }
        const last = batch[batch.length - 1];
        if (isKey && last !== undefined) revision = decodeRevKey(last.key).main;
      }
    }
    await bolt.checkFreePages(visited);
    return { hash, revision, totalKey, totalSize: bolt.size };
  } finally {
    await bolt.close();
  }
}
