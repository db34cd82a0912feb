/**
 * Reads an etcd backend database (layout.ts) through the bbolt reader: the small buckets (meta,
 * lease, members, cluster, alarm) are loaded on open, and the `key` bucket is streamed as
 * {@link StoredRevision}s in revision order. Anything that does not decode as etcd's layout is
 * refused with {@link SnapshotCorruptError} (problem `'layout'`).
 * @module
 */
import { SnapshotCorruptError } from '../bbolt/errors.js';
import { BoltReader } from '../bbolt/reader.js';
import type { BoltBucket, BoltOpenOptions } from '../bbolt/reader.js';
import type { StoredRevision } from './backend-writer.js';
import { CLUSTER_VERSION_KEY, MetaKey, decodeMember, readU64be } from './layout.js';
import type { StoredMember } from './layout.js';
import { decodeAlarm, decodeKeyValue, decodeLease } from './proto.js';
import type { StoredAlarm, StoredLease } from './proto.js';
import { decodeRevKey } from './revision.js';

const dec = new TextDecoder();

/** The small parts of an etcd backend, loaded when it is opened. */
export interface EtcdBackendInfo {
  /** `meta/consistent_index` (0n if absent). */
  readonly consistentIndex: bigint;
  /** `meta/term` (etcd 3.5+), or `null` if absent. */
  readonly term: bigint | null;
  /** `meta/scheduledCompactRev` main revision (0 = none). */
  readonly scheduledCompactRevision: number;
  /** `meta/finishedCompactRev` main revision (0 = none). */
  readonly finishedCompactRevision: number;
  /** Leases in id order. */
  readonly leases: readonly StoredLease[];
  /** Members in key order. */
  readonly members: readonly StoredMember[];
  /** Removed member ids. */
  readonly removedMembers: readonly bigint[];
  /** `cluster/clusterVersion` ('' if absent). */
  readonly clusterVersion: string;
  /** Raised alarms. */
  readonly alarms: readonly StoredAlarm[];
}

function layoutError(what: string, cause: unknown): SnapshotCorruptError {
  if (cause instanceof SnapshotCorruptError) return cause;
  return new SnapshotCorruptError('layout', `${what}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
}

/** An open etcd backend file. */
export class EtcdBackendReader {
  /** The loaded small buckets. */
  readonly info: EtcdBackendInfo;
  /** The underlying bbolt reader. */
  readonly bolt: BoltReader;
  private readonly keyBucket: BoltBucket;

  private constructor(bolt: BoltReader, info: EtcdBackendInfo, keyBucket: BoltBucket) {
    this.bolt = bolt;
    this.info = info;
    this.keyBucket = keyBucket;
  }

  /**
   * Opens `path`, checks the whole bbolt file (as `tx.Check` does) and loads the small buckets.
   * Throws {@link SnapshotCorruptError} for a damaged file or one without etcd's `key` and `meta` buckets.
   */
  static async open(path: string, options: BoltOpenOptions = {}): Promise<EtcdBackendReader> {
    const bolt = await BoltReader.open(path, options);
    try {
      await bolt.check();
      const buckets = new Map<string, BoltBucket>();
      for await (const b of bolt.buckets()) buckets.set(dec.decode(b.name), b);
      const keyBucket = buckets.get('key');
      const meta = buckets.get('meta');
      if (keyBucket === undefined || meta === undefined) throw new SnapshotCorruptError('layout', 'not an etcd backend: no "key" or "meta" bucket');
      const rows = async (name: string): Promise<{ key: Uint8Array; value: Uint8Array }[]> => {
        const b = buckets.get(name);
        const out: { key: Uint8Array; value: Uint8Array }[] = [];
        if (b !== undefined) for await (const e of bolt.entries(b)) out.push(e);
        return out;
      };
      const info = await loadInfo(rows);
      return new EtcdBackendReader(bolt, info, keyBucket);
    } catch (err) {
      await bolt.close();
      throw err;
    }
  }

  /**
   * Streams the `key` bucket in revision order.
   * @yields {StoredRevision} each row, decoded; tombstones carry only the key.
   */
  async *revisions(): AsyncGenerator<StoredRevision> {
    for await (const e of this.bolt.entries(this.keyBucket)) {
      const rev = decodeRevKey(e.key);
      let kv;
      try {
        kv = decodeKeyValue(e.value);
      } catch (err) {
        throw layoutError(`key bucket revision ${String(rev.main)}_${String(rev.sub)}`, err);
      }
      if (!rev.tombstone && kv.modRevision !== rev.main) {
        throw new SnapshotCorruptError('layout', `key bucket revision ${String(rev.main)} holds a KeyValue with mod_revision ${String(kv.modRevision)}`);
      }
      yield { rev: { main: rev.main, sub: rev.sub }, tombstone: rev.tombstone, kv };
    }
  }

  /** Closes the file. */
  async close(): Promise<void> {
    await this.bolt.close();
  }
}

type Rows = (name: string) => Promise<{ key: Uint8Array; value: Uint8Array }[]>;

async function loadInfo(rows: Rows): Promise<EtcdBackendInfo> {
  const meta = new Map((await rows('meta')).map((r) => [dec.decode(r.key), r.value]));
  const u64 = (k: string): bigint | null => {
    const v = meta.get(k);
    if (v === undefined) return null;
    const n = readU64be(v);
    if (n === null) throw new SnapshotCorruptError('layout', `meta/${k} is ${String(v.length)} bytes, expected 8`);
    return n;
  };
  const compact = (k: string): number => {
    const v = meta.get(k);
    return v === undefined ? 0 : decodeRevKey(v).main;
  };
  try {
    const cluster = (await rows('cluster')).find((r) => dec.decode(r.key) === CLUSTER_VERSION_KEY);
    return {
      consistentIndex: u64(MetaKey.CONSISTENT_INDEX) ?? 0n,
      term: u64(MetaKey.TERM),
      scheduledCompactRevision: compact(MetaKey.SCHEDULED_COMPACT),
      finishedCompactRevision: compact(MetaKey.FINISHED_COMPACT),
      leases: (await rows('lease')).map((r) => decodeLease(r.value)),
      members: (await rows('members')).map((r) => decodeMember(dec.decode(r.key), dec.decode(r.value))),
      removedMembers: (await rows('members_removed')).map((r) => BigInt(`0x${dec.decode(r.key)}`)),
      clusterVersion: cluster === undefined ? '' : dec.decode(cluster.value),
      alarms: (await rows('alarm')).map((r) => decodeAlarm(r.key)),
    };
  } catch (err) {
    throw layoutError('etcd backend', err);
  }
}
