import { describe, expect, test } from 'vitest';
import { KvStateMachine } from '../../src/kv/kv-state-machine.js';
import { differentialPair } from './differential-pair.js';
import { ctlRunNormalized, etcdctl, type CtlResult } from './helpers.js';

// The same etcdctl (3.4, ETCDCTL_API=3) command lines run against a real single-member etcd and a
// single-member raftkit cluster behind raftkit/etcd (its election timeout etcd's default, which
// sets the shortest lease TTL): puts, gets with every output option, deletes, txns, compaction,
// `endpoint hashkv`, leases, alarms and defrag. Each exit code, stdout and stderr must be the
// same once what differs by nature is replaced: the endpoint, cluster and member ids, the Raft
// term and index, lease ids (by order of appearance), durations, and the client's log times and ids.

const pair = differentialPair(() => new KvStateMachine({ electionMs: 1000 }));

/** A command line and what it reads on its standard input (`txn`). */
interface Command { args: string[]; input?: string }

/** `etcdctl txn --interactive=false` with compares, success and failure ops, one per line. */
const txn = (compares: string[], success: string[], failure: string[]): Command => ({ args: ['txn', '--interactive=false'], input: `${[compares, success, failure].map((x) => x.join('\n')).join('\n\n')}\n\n` });

/** The command lines in order; `{lease}` is replaced by the side's lease id (hex) from the last grant. */
const COMMANDS: (string[] | Command)[] = [
  ['put', '/a', '1'],
  ['put', '/a', '2', '--prev-kv'],
  ['put', '/b', 'x'],
  ['put', '/c', 'y'],
  ['get', '/a'],
  ['get', '/a', '--print-value-only'],
  ['get', '/', '--prefix', '--keys-only'],
  ['get', '/', '--prefix', '-w', 'json'],
  ['get', '/', '--prefix', '--limit', '1', '-w', 'json'],
  ['get', '/', '--prefix', '--count-only', '-w', 'json'],
  ['get', '/', '--prefix', '--sort-by=VALUE', '--order=DESCEND'],
  ['get', '/', '--from-key', '-w', 'fields'],
  ['get', '/a', '--rev', '2', '-w', 'json'],
  ['get', '/a', '--rev', '100'],
  ['get', '/nothing'],
  ['del', '/b'],
  ['del', '/nope'],
  ['put', '/d', 'z'],
  ['del', '/', '--prefix', '--prev-kv'],
  ['put', '/e', 'w'],
  txn(['mod("/e") > "0"'], ['put /e w2', 'put /f f'], ['get /e']),
  txn(['value("/e") = "nope"'], ['del /e'], ['get /e', 'get /f']),
  txn(['version("/x") = "0"', 'create("/e") < "100"'], ['get / --prefix'], []),
  txn(['mod("/e") > "0"'], ['put /g g', 'put /g h'], []),
  ['put', '/e', '--ignore-value'],
  ['put', '/e', 'w3', '--ignore-lease'],
  ['put', '/nothing', '--ignore-value'],
  ['put', '/e', 'x', '--ignore-value'],
  ['get', '/', '--prefix', '--consistency=s', '-w', 'json'],
  ['get', '/e', '--print-value-only', '--rev', '0'],
  ['compaction', '3'],
  ['get', '/a', '--rev', '2'],
  ['compaction', '3'],
  ['compaction', '100'],
  ['compaction', '--physical', '4'],
  ['put', '/z1', '1'],
  ['put', '/z2', '2'],
  ['del', '/z', '--from-key'],
  ['endpoint', 'hashkv', '-w', 'json'],
  ['lease', 'grant', '1'],
  ['lease', 'grant', '100'],
  ['lease', 'list'],
  ['put', '/l', 'v', '--lease={lease}'],
  ['lease', 'timetolive', '{lease}', '--keys'],
  ['lease', 'keep-alive', '--once', '{lease}'],
  ['lease', 'revoke', '{lease}'],
  ['lease', 'revoke', '{lease}'],
  ['lease', 'timetolive', '{lease}'],
  ['put', '/m', 'v', '--lease={lease}'],
  ['get', '/l'],
  ['alarm', 'list'],
  ['defrag'],
  ['endpoint', 'health'],
];

/** `out` with what differs by nature replaced (see the module comment); `leases` numbers the lease ids met. */
function normalize(out: string, endpoint: string, leases: Map<string, string>): string {
  return ctlRunNormalized(out, endpoint)
    .replace(/"(cluster_id|member_id|raft_term|raft_index|raft_applied_index)":\d+/g, '"$1":<n>')
    .replace(/^(cluster_id|member_id|raft_term): \d+$/gm, '$1: <n>')
    .replace(/^"(ClusterID|MemberID|RaftTerm)" : \d+$/gm, '"$1" : <n>')
    .replace(/took = [\d.]+[µnm]?s/g, 'took = <t>')
    .replace(/\b[0-9a-f]{13,16}\b/g, (id) => {
      if (!leases.has(id)) leases.set(id, `<lease ${String(leases.size)}>`);
      return leases.get(id)!;
    })
    .replace(/"ID":\d+/g, '"ID":<n>')
    .replace(/\n+$/, '');
}

describe('etcdctl answers alike against etcd and raftkit', () => {
  test('puts, gets with every output option, deletes, compaction, hashkv, leases, alarms and defrag: the same exit codes and output', async () => {
    const sides = [pair.etcd.url, pair.raftkitUrl].map((url) => ({ endpoint: new URL(url).host, lease: '', leases: new Map<string, string>() }));
    for (const [i, command] of COMMANDS.entries()) {
      const { args, input } = Array.isArray(command) ? { args: command, input: undefined } : command;
      const runs: string[] = [];
      for (const s of sides) {
        const r: CtlResult = await etcdctl([s.endpoint], args.map((a) => a.replace('{lease}', s.lease)), {}, input);
        const granted = /^lease ([0-9a-f]+) granted/.exec(r.stdout);
        if (granted !== null) s.lease = granted[1]!;
        runs.push(`exit ${String(r.code)}\n${normalize(r.stdout, s.endpoint, s.leases)}\n${normalize(r.stderr, s.endpoint, s.leases)}`);
      }
      expect(runs[1], `command ${String(i)}: etcdctl ${args.join(' ')}${input === undefined ? '' : ` <<< ${input}`}`).toBe(runs[0]);
    }
  }, 120_000);
});
