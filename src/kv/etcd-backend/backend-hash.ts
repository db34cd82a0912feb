/**
 * etcd's Maintenance.Hash over the backend a member would hand out as its snapshot: one CRC-32C
 * (Castagnoli) over every bucket's name followed by each of its keys and values, in bbolt
 * order, leaving out the `meta` keys that differ from member to member for reasons the user
 * does not control (`consistent_index` and `term`, etcd's `DefaultIgnores`). Members holding the
 * same data hash alike, and the value is the one etcd computes on the backend file that
 * `etcdctl snapshot save` gets from this member.
 * @module
 */
import { crc32c } from '../../storage/crc32c.js';
import type { BoltEntry } from '../bbolt/writer.js';
import { etcdBuckets, type EtcdBackendSource } from './backend-writer.js';
import { MetaKey } from './layout.js';

const enc = new TextEncoder();
const IGNORED_META = [MetaKey.CONSISTENT_INDEX, MetaKey.TERM].map((k) => enc.encode(k));

function ignored(bucket: string, key: Uint8Array): boolean {
  return bucket === 'meta' && IGNORED_META.some((k) => Buffer.compare(k, key) === 0);
}

/** The CRC-32C of the backend `src` describes (see the module comment). */
export async function hashEtcdBackend(src: EtcdBackendSource): Promise<number> {
  let h = 0;
  for (const b of etcdBuckets(src)) {
    const name = typeof b.name === 'string' ? b.name : new TextDecoder().decode(b.name);
    h = crc32c(enc.encode(name), h);
    // `for await` takes either member of the union; named as the async one because typed lint once
    // saw this union's elements as `any` (not reproduced since).
    for await (const e of b.entries as AsyncIterable<BoltEntry>) {
      if (ignored(name, e.key)) continue;
      h = crc32c(e.key, h);
      h = crc32c(e.value, h);
    }
  }
  return h;
}
