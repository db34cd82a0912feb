/**
 * Test helper: drives a real etcd through the etcd3 package's raw gRPC clients (no etcdctl
 * process per call): applies a {@link Op} history and reads whole-keyspace ranges at a revision.
 */
import { Etcd3 } from 'etcd3';
import { conflictFreeGroups, describeKv } from './history.js';
import type { Op } from './history.js';

const ALL = Buffer.from([0]);

/** Opens a client of the etcd at `url`. */
export function connect(url: string): Etcd3 {
  return new Etcd3({ hosts: url });
}

/**
 * Applies `txns` (one revision each) after granting `lease` with a 3600 s TTL: in order, or with
 * `concurrent` in {@link conflictFreeGroups} (each key's ops still in order).
 */
export async function applyHistory(client: Etcd3, txns: readonly (readonly Op[])[], lease: bigint, options: { concurrent?: boolean } = {}): Promise<void> {
  await client.leaseClient.leaseGrant({ ID: lease.toString(), TTL: '3600' });
  const send = async (ops: readonly Op[]): Promise<void> => {
    const success = ops.map((op) =>
      'del' in op
        ? { request_delete_range: { key: Buffer.from(op.del) } }
        : { request_put: { key: Buffer.from(op.put), value: Buffer.from(op.value), lease: (op.lease ?? 0n).toString() } },
    );
    await client.kv.txn({ success });
  };
  for (const group of options.concurrent === true ? conflictFreeGroups(txns) : txns.map((t) => [t])) await Promise.all(group.map(send));
}

/** The whole keyspace at `revision`, as {@link describeKv} strings sorted by key. */
export async function rangeAt(client: Etcd3, revision: number): Promise<string[]> {
  const res = await client.kv.range({ key: ALL, range_end: ALL, revision: String(revision) });
  return res.kvs.map((kv) =>
    describeKv({ key: kv.key, value: kv.value, createRevision: Number(kv.create_revision), modRevision: Number(kv.mod_revision), version: Number(kv.version), lease: BigInt(kv.lease) }),
  );
}
