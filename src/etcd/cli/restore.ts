/**
 * `raftkit restore` with `etcdctl snapshot restore`'s membership flags: `--name`,
 * `--initial-cluster`, `--initial-cluster-token` and `--initial-advertise-peer-urls`. With any of
 * them, the restored data dir also records the member's identity in that cluster (the others take
 * etcdctl's defaults), so the member starts as etcd's restore runbook starts it: with its name,
 * data dir and listen URLs only, bootstrapping the restored cluster.
 * @module
 */
import { runRestoreCommand, RESTORE_USAGE } from '../../kv/etcd-backend/restore-command.js';
import { FlagError, parseFlags } from './flags.js';
import { identityOf, writeIdentity, type MemberIdentity } from './identity.js';

/** etcdctl's membership flags of `snapshot restore`. */
const MEMBERSHIP = new Set(['name', 'initial-cluster', 'initial-cluster-token', 'initial-advertise-peer-urls']);

/**
 * Runs `raftkit restore` (the arguments after the word `restore`); resolves with the exit status:
 * 0 done, 1 refused, 2 bad usage (a membership flag etcd would refuse among them).
 */
export async function runRestore(args: readonly string[], print: (line: string, toStderr: boolean) => void): Promise<number> {
  const rest: string[] = [];
  const membership: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const flag = /^--?([a-z-]+)(=.*)?$/.exec(a);
    if (flag === null || !MEMBERSHIP.has(flag[1]!)) {
      rest.push(a);
      continue;
    }
    if (flag[2] !== undefined) membership.push(a);
    else if (i + 1 < args.length) membership.push(a, args[++i]!);
    else {
      print(`raftkit restore: flag needs an argument: ${a}\n${RESTORE_USAGE}`, true);
      return 2;
    }
  }
  let identity: MemberIdentity | undefined;
  if (membership.length > 0) {
    try {
      // etcdctl's defaults for the flags not given, checked as a member's flags are.
      const parsed = parseFlags(['--initial-cluster', 'default=http://localhost:2380', ...membership]);
      if (parsed.kind !== 'run') throw new FlagError('name', 'no member');
      identity = identityOf(parsed.config);
    } catch (e) {
      if (!(e instanceof FlagError)) throw e;
      print(`raftkit restore: ${e.message}`, true);
      return 2;
    }
  }
  return runRestoreCommand(rest, print, (dataDir) => {
    if (identity === undefined) return;
    writeIdentity(dataDir, identity);
    print(`member ${identity.name} of ${Object.keys(identity.initialCluster).join(', ')} (token ${identity.initialClusterToken}): start it with --name ${identity.name} --data-dir ${dataDir} and its listen URLs`, false);
  });
}
