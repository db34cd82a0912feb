/**
 * What a member's data dir keeps of the flags it was first started (or restored) with. etcd's
 * `--initial-*` flags count only then: its WAL holds the member's id and cluster afterwards, so a
 * restart, or the start of a member `etcdctl snapshot restore` prepared, needs only `--name`,
 * `--data-dir` and its listen URLs. raftkit keeps the same facts in `member/identity.json`.
 * @module
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RaftkitError } from '../../errors.js';
import { checkMembership, type MemberConfig } from './flags.js';

/** A member's identity, as its data dir records it. */
export interface MemberIdentity {
  /** `--name` at the first start. */
  name: string;
  /** `--initial-cluster`: each member's name and peer URLs. */
  initialCluster: Record<string, string[]>;
  /** `--initial-cluster-token`. */
  initialClusterToken: string;
  /** `--initial-advertise-peer-urls`. */
  initialAdvertisePeerUrls: string[];
  /** `--initial-cluster-state`: `new` bootstraps the cluster (a restored member too), `existing` joins one. */
  initialClusterState: 'new' | 'existing';
}

/** The identity file of a data dir is not one raftkit wrote. Code `ERR_MEMBER_IDENTITY`. */
export class MemberIdentityError extends RaftkitError {
  /**
   * @param file - the file.
   * @param why - what is wrong with it.
   */
  constructor(file: string, why: string) {
    super('ERR_MEMBER_IDENTITY', `${file}: ${why}`);
  }
}

/** Where a data dir keeps its member's identity. */
export function identityPath(dataDir: string): string {
  return join(dataDir, 'member', 'identity.json');
}

const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

/**
 * The identity `dataDir` records, or `undefined` when it records none (a new data dir, or one an
 * earlier version made: its flags then define it, as before).
 *
 * @throws {@link MemberIdentityError} for a file that is not a well-formed identity.
 */
export function readIdentity(dataDir: string): MemberIdentity | undefined {
  const file = identityPath(dataDir);
  if (!existsSync(file)) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new MemberIdentityError(file, `not JSON (${(e as Error).message})`);
  }
  const o = v as Partial<Record<keyof MemberIdentity, unknown>> | null;
  const ok = o !== null && typeof o === 'object' && typeof o.name === 'string' && typeof o.initialClusterToken === 'string'
    && strings(o.initialAdvertisePeerUrls) && (o.initialClusterState === 'new' || o.initialClusterState === 'existing')
    && typeof o.initialCluster === 'object' && o.initialCluster !== null && Object.values(o.initialCluster).every(strings);
  if (!ok) throw new MemberIdentityError(file, 'not a member identity (name, initialCluster, initialClusterToken, initialAdvertisePeerUrls, initialClusterState)');
  return v as MemberIdentity;
}

/** Records `identity` in `dataDir` (written whole: a crash leaves the old file or the new one). */
export function writeIdentity(dataDir: string, identity: MemberIdentity): void {
  const file = identityPath(dataDir);
  mkdirSync(join(dataDir, 'member'), { recursive: true });
  writeFileSync(`${file}.tmp`, `${JSON.stringify(identity, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}

/**
 * The identity the flags of `c` describe, checked as etcd checks a new member's flags.
 *
 * @throws FlagError when the flags do not place the member in its initial cluster.
 */
export function identityOf(c: MemberConfig): MemberIdentity {
  checkMembership(c.name, c.initialCluster, c.initialAdvertisePeerUrls);
  return {
    name: c.name, initialCluster: Object.fromEntries(c.initialCluster), initialClusterToken: c.initialClusterToken,
    initialAdvertisePeerUrls: [...c.initialAdvertisePeerUrls], initialClusterState: c.initialClusterState,
  };
}

/** The flags whose values after the first start are the data dir's, and how to read each from a config and an identity. */
const INITIAL_FLAGS: readonly [string, (c: MemberConfig) => unknown, (i: MemberIdentity) => unknown][] = [
  ['initial-cluster', (c) => Object.fromEntries(c.initialCluster), (i) => i.initialCluster],
  ['initial-cluster-token', (c) => c.initialClusterToken, (i) => i.initialClusterToken],
  ['initial-advertise-peer-urls', (c) => c.initialAdvertisePeerUrls, (i) => i.initialAdvertisePeerUrls],
  ['initial-cluster-state', (c) => c.initialClusterState, (i) => i.initialClusterState],
];

/**
 * The identity a member runs with: `stored` when its data dir records one (the `--initial-*`
 * flags given now and different from it are reported to `ignored`, and not used, as etcd ignores
 * them after the first start), otherwise the one its flags describe.
 *
 * @throws FlagError when there is no stored identity and the flags do not place the member in its
 *   initial cluster.
 */
export function resolveIdentity(c: MemberConfig, stored: MemberIdentity | undefined, ignored: (flag: string, given: unknown, kept: unknown) => void): MemberIdentity {
  if (stored === undefined) return identityOf(c);
  for (const [flag, given, kept] of INITIAL_FLAGS) {
    if (c.explicitFlags.has(flag) && JSON.stringify(given(c)) !== JSON.stringify(kept(stored))) ignored(flag, given(c), kept(stored));
  }
  return stored;
}
