/**
 * Restores a raftkit KV from a snapshot file — one `etcdctl snapshot save` wrote against etcd or
 * raftkit, or a bare backend database: the sha256 trailer is checked when present, the whole
 * bbolt file is checked and every row decoded *before* anything is written, then the KV's records
 * are replaced in one stream (revisions, leases, compaction mark). The target is the database a
 * new member's `KvStateMachine` will open, as `etcdctl snapshot restore` prepares each member's
 * data dir; run it for every member of the new cluster.
 * @module
 */
import { KvBackend } from '../backend.js';
import { EtcdBackendReader } from './backend-reader.js';
import type { EtcdBackendInfo } from './backend-reader.js';
import type { KvLocation } from './kv-records.js';
import type { KvSnapshotItem } from '../snapshot-format.js';
import { kvRecordOf, leaseRecordOf } from './kv-records.js';
import { verifySnapshotFile } from './snapshot-file.js';

/** What {@link restoreSnapshot} restored. */
export interface RestoreSummary {
  /** Newest revision in the file (etcdctl's "revision"). */
  readonly revision: number;
  /** Revision rows written. */
  readonly rows: number;
  /** The compaction revision restored (0 = none). */
  readonly compactRevision: number;
  /** Whether the file carried a sha256 trailer (it then matched). */
  readonly hasSha256: boolean;
  /** The etcd cluster facts the file held (members, cluster version, alarms...), for the caller. */
  readonly info: EtcdBackendInfo;
}

/**
 * Restores the snapshot `file` into the KV at `target`, replacing what it holds. Throws
 * `SnapshotCorruptError` (code `ERR_SNAPSHOT_CORRUPT`, problem named) and writes nothing when the
 * file is damaged, truncated, has a wrong sha256 or is not an etcd backend.
 */
export async function restoreSnapshot(file: string, target: KvLocation): Promise<RestoreSummary> {
  const { dbLength, hasSha256 } = await verifySnapshotFile(file);
  const reader = await EtcdBackendReader.open(file, { length: dbLength });
  try {
    let rows = 0;
    let revision = 0;
    for await (const r of reader.revisions()) {
      rows++;
      revision = r.rev.main;
    }
    const info = reader.info;
    const compactRevision = Math.max(info.scheduledCompactRevision, info.finishedCompactRevision);
    const backend = new KvBackend(target.db, target.name ?? 'kv');
    await backend.open();
    const items = (async function* (): AsyncGenerator<KvSnapshotItem> {
      for await (const r of reader.revisions()) {
        const [key, value] = kvRecordOf(r);
        yield { kind: 'rev', key, value };
      }
      for (const l of info.leases) {
        const [key, value] = leaseRecordOf(l);
        yield { kind: 'lease', key, value };
      }
    })();
    await backend.replace(items, compactRevision === 0 ? undefined : compactRevision, 0);
    return { revision, rows, compactRevision, hasSha256, info };
  } finally {
    await reader.close();
  }
}
