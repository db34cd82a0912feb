/**
 * `raftkit restore <file> --data-dir <dir>`: what `etcdctl snapshot restore` does for an etcd
 * member, for a raftkit member. It prepares a new member's data dir (the KV database the
 * `raftkit` command's member uses, {@link memberDataPaths}, holding the snapshot's keys,
 * revisions, leases and compaction; the Raft log starts empty); the member then starts with its
 * usual flags. Run it once per member, from the same file. Like etcdctl it refuses an existing non-empty
 * data dir, and it accepts etcd's and raftkit's snapshot files (sha256 trailer checked when present).
 * @module
 */
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { RaftkitError } from '../../errors.js';
import { SnapshotCorruptError } from '../bbolt/errors.js';
import { restoreSnapshot } from './restore.js';
import { hasSha256Trailer } from './snapshot-file.js';
import type { RestoreSummary } from './restore.js';

/** The restore target already holds data. Code `ERR_RESTORE_DATA_DIR_EXISTS`. */
export class RestoreDataDirExistsError extends RaftkitError {
  /** @param dir - the data dir. */
  constructor(dir: string) {
    super('ERR_RESTORE_DATA_DIR_EXISTS', `data-dir ${JSON.stringify(dir)} exists and is not empty`);
  }
}

/** Where the `raftkit` command's member keeps its Raft log and its KV database inside `--data-dir`. */
export interface MemberDataPaths {
  /** The Raft log (a `WalStorage` directory), as etcd's `member/wal`. */
  wal: string;
  /** The KV database (classic-level; the KV in its sublevel `kv`), where etcd has `member/snap/db`. */
  kv: string;
}

/** The layout of a member data dir (see {@link MemberDataPaths}). */
export function memberDataPaths(dataDir: string): MemberDataPaths {
  return { wal: join(dataDir, 'member', 'wal'), kv: join(dataDir, 'member', 'kv') };
}

/**
 * Restores `file` into a new member data dir `dataDir` (see the module comment). As `etcdctl
 * snapshot restore`, a file without the SHA-256 trailer is refused ({@link SnapshotMissingHashError})
 * unless `skipHashCheck`.
 */
export async function restoreDataDir(file: string, dataDir: string, skipHashCheck = false): Promise<RestoreSummary> {
  // The trailer is told by the file's size (bbolt pages, then 32 bytes), as etcdctl tells it.
  if (!skipHashCheck && !hasSha256Trailer((await stat(file)).size)) throw new SnapshotMissingHashError();
  const existing = await readdir(dataDir).catch((e: unknown) => {
    if ((e as { code?: string }).code === 'ENOENT') return [];
    throw e;
  });
  if (existing.length > 0) throw new RestoreDataDirExistsError(dataDir);
  const { ClassicLevel } = await import('classic-level');
  const db = new ClassicLevel<Uint8Array, Uint8Array>(memberDataPaths(dataDir).kv, { keyEncoding: 'view', valueEncoding: 'view' });
  let ok = false;
  try {
    await db.open({ createIfMissing: true });
    const summary = await restoreSnapshot(file, { db });
    ok = true;
    return summary;
  } finally {
    await db.close();
    // A refused file leaves no half-made member behind: the data dir is empty again.
    if (!ok) for (const name of await readdir(dataDir)) await rm(join(dataDir, name), { recursive: true, force: true });
  }
}

/** Usage of the restore command. */
export const RESTORE_USAGE = 'usage: raftkit restore <snapshot-file> --data-dir <dir> [--skip-hash-check]';

/**
 * The file has no SHA-256 trailer (a backend file copied from a member's `member/snap/db`, or a
 * cut download) and `--skip-hash-check` was not given. Code `ERR_SNAPSHOT_MISSING_HASH`.
 */
export class SnapshotMissingHashError extends RaftkitError {
  constructor() {
    super('ERR_SNAPSHOT_MISSING_HASH', 'snapshot missing hash but --skip-hash-check=false');
  }
}

/**
 * Runs `raftkit restore` with `args` (after the word `restore`). Returns the exit status: 0 done,
 * 1 refused (damaged file, existing data dir), 2 bad usage; `print` gets one line per message.
 * `onRestored` runs with the data dir once it is restored (the command adds the member's identity).
 */
export async function runRestoreCommand(args: readonly string[], print: (line: string, toStderr: boolean) => void, onRestored?: (dataDir: string) => void): Promise<number> {
  let file: string | undefined;
  let dataDir: string | undefined;
  let skipHashCheck = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--skip-hash-check' || a === '-skip-hash-check' || a === '--skip-hash-check=true') skipHashCheck = true;
    else if (a === '--skip-hash-check=false') skipHashCheck = false;
    else if (a === '--data-dir' || a === '-data-dir') dataDir = args[++i];
    else if (a.startsWith('--data-dir=') || a.startsWith('-data-dir=')) dataDir = a.slice(a.indexOf('=') + 1);
    else if (a.startsWith('-') || file !== undefined) {
      print(`raftkit restore: unexpected argument ${JSON.stringify(a)}\n${RESTORE_USAGE}`, true);
      return 2;
    } else file = a;
  }
  if (file === undefined || dataDir === undefined || dataDir === '') {
    print(RESTORE_USAGE, true);
    return 2;
  }
  try {
    const s = await restoreDataDir(file, dataDir, skipHashCheck);
    onRestored?.(dataDir);
    print(`restored snapshot ${file} into ${dataDir}: revision ${String(s.revision)}, ${String(s.rows)} revisions, compacted at ${String(s.compactRevision)}, ${String(s.info.leases.length)} leases${s.hasSha256 ? ', sha256 verified' : ', no sha256 trailer'}`, false);
    return 0;
  } catch (e) {
    if (e instanceof SnapshotCorruptError || e instanceof RestoreDataDirExistsError || e instanceof SnapshotMissingHashError) {
      print(`raftkit restore: ${e.message}`, true);
      return 1;
    }
    throw e;
  }
}
