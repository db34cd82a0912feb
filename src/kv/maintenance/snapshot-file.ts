import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import { RaftkitError } from '../../errors.js';
import { crc32c } from '../../storage/crc32c.js';
import { LevelStorage } from '../../storage/level-storage.js';
import { KvStateMachine } from '../kv-state-machine.js';
import { toKey } from '../mvcc/bytes.js';
import { decodeRevision } from '../mvcc/revision.js';
import { decodeKvSnapshot } from '../snapshot-format.js';
import { decodeKv } from '../record.js';

/**
 * The backup file of `maintenance.snapshot()` — the one module that knows its layout (etcd's
 * own bbolt format can replace it here): the 8 magic bytes `RKKVSNAP`, a format version (u32,
 * big-endian), the KV state (`snapshot-format.ts`), then the SHA-256 of everything before it
 * (etcd also appends a SHA-256 to its snapshot files).
 * @module
 */

const MAGIC = new TextEncoder().encode('RKKVSNAP');
const VERSION = 1;
const HEADER = MAGIC.length + 4;
const HASH = 32;
const CHUNK = 1 << 20;

/** A backup file is damaged or not a backup. Code `ERR_SNAPSHOT_CORRUPT`. */
export class SnapshotFileError extends RaftkitError {
  /** @param message - what is wrong. */
  constructor(message: string) {
    super('ERR_SNAPSHOT_CORRUPT', message);
  }
}

/** What `snapshotStatus` reports (as `etcdctl snapshot status`). */
export interface SnapshotStatus {
  /** CRC-32C of the KV state in the file. */
  hash: number;
  /** The store revision of the backup. */
  revision: number;
  /** The keys live at that revision. */
  totalKey: number;
  /** The file's size in bytes. */
  totalSize: number;
}

/**
 * The backup of a member's KV as a stream of chunks: a point-in-time copy of its state (taken
 * in one read of the store), framed and hashed as described above.
 *
 * @yields {Uint8Array} the file's bytes, in order.
 */
export async function* snapshotStream(sm: KvStateMachine): AsyncGenerator<Uint8Array> {
  const body = await sm.snapshot();
  const header = new Uint8Array(HEADER);
  header.set(MAGIC, 0);
  new DataView(header.buffer).setUint32(MAGIC.length, VERSION);
  const sha = createHash('sha256');
  sha.update(header);
  yield header;
  for (let at = 0; at < body.length; at += CHUNK) {
    const c = body.subarray(at, at + CHUNK);
    sha.update(c);
    yield c;
  }
  yield new Uint8Array(sha.digest());
}

/** Writes {@link snapshotStream} to `path`; resolves to the bytes written. */
export async function saveSnapshot(sm: KvStateMachine, path: string): Promise<number> {
  const out = createWriteStream(path);
  let n = 0;
  for await (const c of snapshotStream(sm)) {
    n += c.length;
    if (!out.write(c)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  out.end();
  await finished(out);
  return n;
}

/** Reads and checks a backup file; returns the KV state bytes. */
async function readChecked(path: string): Promise<{ body: Uint8Array; size: number }> {
  const file = new Uint8Array(await readFile(path));
  if (file.length < HEADER + HASH || !MAGIC.every((b, i) => file[i] === b)) throw new SnapshotFileError(`${path} is not a raftkit KV snapshot`);
  const version = new DataView(file.buffer, file.byteOffset).getUint32(MAGIC.length);
  if (version !== VERSION) throw new SnapshotFileError(`${path}: unknown snapshot version ${version}`);
  const want = createHash('sha256').update(file.subarray(0, file.length - HASH)).digest();
  if (!want.equals(file.subarray(file.length - HASH))) throw new SnapshotFileError(`${path}: SHA-256 mismatch (the file is damaged)`);
  return { body: file.subarray(HEADER, file.length - HASH), size: file.length };
}

/** Checks a backup file and reports its hash, revision, keys and size (`etcdctl snapshot status`). */
export async function snapshotStatus(path: string): Promise<SnapshotStatus> {
  const { body, size } = await readChecked(path);
  const s = decodeKvSnapshot(body);
  const live = new Map<string, boolean>();
  for (const [k, v] of s.revisions) live.set(toKey(decodeKv(v).key), !decodeRevision(k).tombstone);
  let totalKey = 0;
  for (const alive of live.values()) if (alive) totalKey++;
  return { hash: crc32c(body) >>> 0, revision: s.rev, totalKey, totalSize: size };
}

/** Options of {@link restoreSnapshot}. */
export interface RestoreOptions {
  /** The data directory of the new member (a `LevelStorage` path; must be empty). */
  path: string;
  /** The members of the new cluster (pass them as `peers` to `Replica.start`). */
  members: readonly { id: number; address: string }[];
  /** The KV's sublevel name. Default `'kv'`. */
  name?: string | undefined;
}

/**
 * Builds a new member's storage from a backup file (`etcdctl snapshot restore`): the KV state
 * goes into a fresh `LevelStorage` at `path`; start the member there with `peers: members` and
 * a `KvStateMachine` over that storage, and it serves the backup's data at its revision. Run it
 * for every member of the new cluster with the same file. Resolves to the backup's revision.
 */
export async function restoreSnapshot(file: string, options: RestoreOptions): Promise<{ revision: number; members: RestoreOptions['members'] }> {
  const { body } = await readChecked(file);
  const storage = await LevelStorage.open({ path: options.path });
  try {
    if (storage.lastIndex() !== 0) throw new SnapshotFileError(`${options.path} already holds a member's data`);
    const sm = new KvStateMachine({ storage, name: options.name });
    await sm.ready();
    await sm.restore({ index: 0, term: 0, data: body });
    return { revision: sm.store.rev, members: options.members };
  } finally {
    await storage.close();
  }
}
