import { createHash } from 'node:crypto';

/** What the server knows of a member besides its id and peer address: etcd's member attributes. */
export interface MemberInfo {
  /** The member's name (`--name`); empty until known, as etcd shows a member that has not started. */
  name: string;
  /** The member's advertised client URLs; empty until known. */
  clientUrls: readonly string[];
}

/** The largest member id raftkit uses: ids are safe integers (52 bits), where etcd uses all 64. */
const ID_MASK = (1n << 52n) - 1n;

/**
 * The member id for `peerUrls` in the cluster named `clusterToken`: the first 8 bytes of the
 * SHA-1 of the sorted URLs and the token (as etcd derives ids), cut to 52 bits so it is a safe
 * integer. `etcdctl member add` and the joining `raftkit --initial-cluster-state existing`
 * compute the same id, so the new member knows who it is.
 */
export function memberIdFor(peerUrls: readonly string[], clusterToken: string): number {
  const h = createHash('sha1').update([...peerUrls].sort().join('')).update(clusterToken).digest();
  const id = Number(h.readBigUInt64BE(0) & ID_MASK);
  return id === 0 ? 1 : id;
}

/** The cluster id for an initial cluster: the same hash over every member id and the token. */
export function clusterIdFor(memberIds: readonly number[], clusterToken: string): bigint {
  const h = createHash('sha1');
  for (const id of [...memberIds].sort((a, b) => a - b)) h.update(String(id));
  return h.update(clusterToken).digest().readBigUInt64BE(0) & ID_MASK;
}

/** The transport address (`host:port`) of a peer URL (`http(s)://host:port`). */
export function peerAddress(url: string): string {
  const u = new URL(url);
  return u.host;
}
