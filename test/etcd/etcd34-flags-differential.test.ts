import { execFileSync, spawnSync } from 'node:child_process';
import { status } from '@grpc/grpc-js';
import { Metadata } from '@grpc/grpc-js';
import { expect, test } from 'vitest';
import { FLAGS, FlagError, parseFlags, type MemberConfig } from '../../src/etcd/cli/flags.js';
import { IGNORED_FLAGS } from '../../src/etcd/cli/flag-table.js';
import { GrpcMetrics } from '../../src/etcd/grpc-metrics.js';

// Every flag the installed etcd (Debian's 3.4) defines must be one the `raftkit` command knows:
// a manifest or a unit file written for etcd starts a raftkit member, or is refused with a
// message naming the flag and why, never with "flag provided but not defined".

/** Each flag of `etcd --help` and the default it shows (quotes removed). */
function etcdFlags(): Map<string, string> {
  const help = execFileSync('etcd', ['--help'], { encoding: 'utf8' });
  const flags = new Map<string, string>();
  for (const m of help.matchAll(/^\s+--([a-z0-9-]+)(?: (.*))?$/gm)) {
    if (m[1] === 'help' || m[1] === 'version' || m[1] === 'config-file') continue;
    flags.set(m[1]!, (m[2] ?? '').replace(/^'(.*)'$/, '$1'));
  }
  return flags;
}

function config(argv: string[]): MemberConfig {
  const p = parseFlags(argv);
  if (p.kind !== 'run') throw new Error(p.kind);
  return p.config;
}

// Defaults etcd's help shows that etcd itself refuses as values (checked against etcd 3.4.23:
// "parse error", "invalid syntax"), so a command line cannot carry them.
const NOT_VALUES = new Set(['backend-batch-interval', 'max-concurrent-streams']);

test('every flag etcd 3.4 defines is a raftkit flag, and etcd\'s defaults, all given at once, start a member', () => {
  const etcd = etcdFlags();
  expect(etcd.size).toBeGreaterThan(70);
  const ours = new Set(FLAGS.map((f) => f.name));
  expect([...etcd.keys()].filter((f) => !ours.has(f))).toEqual([]);
  const argv = [...etcd].filter(([f]) => !NOT_VALUES.has(f)).map(([f, v]) => `--${f}=${v}`);
  const c = config(argv);
  // The defaults where etcd 3.4's differ from the flag table's (which are etcd 3.5's).
  expect(c).toMatchObject({ preVote: false, logLevel: 'info', handlingTimeHistogram: false, compactionBatchLimit: 1000 });
});

test('the flags of features raftkit lacks: their defaults and harmless values start, others are refused naming the flag', () => {
  const base = ['--name', 'm1'];
  // Settings that only matter with Auth, the v2 proxy or discovery, which raftkit does not have.
  expect(() => config([...base, '--bcrypt-cost=3', '--auth-token-ttl=600', '--proxy-dial-timeout=2000', '--discovery-fallback=exit', '--experimental-backend-bbolt-freelist-type=map', '--experimental-enable-lease-checkpoint'])).not.toThrow();
  expect(() => config([...base, '--proxy=off', '--auth-token=simple', '--discovery=', '--log-package-levels='])).not.toThrow();
  for (const [flag, value] of [['proxy', 'readonly'], ['auth-token', 'jwt,pub-key=a'], ['discovery-srv', 'example.com'], ['experimental-enable-v2v3', '/v2']] as const) {
    expect(() => config([...base, `--${flag}=${value}`])).toThrow(new RegExp(`^--${flag}=.* is not supported: `));
  }
});

test('--debug logs at debug level; --metrics picks the handling-time histogram; a zero compaction batch limit is etcd\'s default', () => {
  expect(config(['--debug']).logLevel).toBe('debug');
  expect(config(['--debug=false', '--log-level=warn']).logLevel).toBe('warn');
  expect(config([]).handlingTimeHistogram).toBe(false);
  expect(config(['--metrics=extensive']).handlingTimeHistogram).toBe(true);
  expect(config(['--experimental-compaction-batch-limit=0']).compactionBatchLimit).toBe(1000);
  expect(config(['--experimental-compaction-batch-limit=50']).compactionBatchLimit).toBe(50);
  expect(config([]).initialElectionTickAdvance).toBe(true);
  expect(config(['--initial-election-tick-advance=false']).initialElectionTickAdvance).toBe(false);
  expect(() => config(['--initial-election-tick-advance=maybe'])).toThrow(/invalid boolean value "maybe" for -initial-election-tick-advance: parse error/);
});

test('basic metrics leave out grpc_server_handling_seconds, as etcd\'s --metrics basic; extensive has it', () => {
  const labels = { grpc_type: 'unary', grpc_service: 'etcdserverpb.KV', grpc_method: 'Range' } as const;
  for (const extensive of [false, true]) {
    const g = new GrpcMetrics(extensive);
    g.start(labels, new Metadata())(status.OK);
    const text = g.text();
    expect(text).toMatch(/^grpc_server_handled_total\{.*grpc_method="Range".*grpc_code="OK"\} 1$/m);
    expect(text.includes('# TYPE grpc_server_handling_seconds histogram')).toBe(extensive);
    expect(/^grpc_server_handling_seconds_count\{.*\} 1$/m.test(text)).toBe(extensive);
  }
});

test('etcd 0.4\'s flags, which etcd 3.4 takes and ignores with a warning, are taken and ignored; a value after a space is refused by both', () => {
  /** etcd's verdict on `args`: the flag error, or undefined when it got past every flag (stopped by a bad last one). */
  const etcd = (args: string[]): { error?: string; warned: boolean } => {
    const out = spawnSync('etcd', [...args, '--initial-cluster-state=bogus'], { encoding: 'utf8', timeout: 10_000 }).stderr;
    const error = /-initial-cluster-state/.test(out) ? undefined : out;
    return { ...(error === undefined ? {} : { error }), warned: /is no longer supported - ignoring/.test(out) };
  };
  for (const f of IGNORED_FLAGS) {
    for (const args of [[`--${f}=abc`], [`-${f}`]]) {
      expect(etcd(args)).toEqual({ warned: true });
      expect(config(args).ignoredFlags).toEqual([f]);
    }
    expect(etcd([`--${f}`, '5']).error).toMatch(/'5' is not a valid flag/);
    expect(() => config([`--${f}`, '5'])).toThrow(FlagError);
  }
  // etcd 3.4's own end of the list: a flag it does not know is refused by both.
  expect(etcd(['--experimental-v3demo']).error).toMatch(/flag provided but not defined: -experimental-v3demo/);
  expect(() => config(['--experimental-v3demo'])).toThrow('flag provided but not defined: -experimental-v3demo');
  expect(config(['--peer-heartbeat-interval=100', '--peer-election-timeout=1000']).ignoredFlags).toEqual(['peer-heartbeat-interval', 'peer-election-timeout']);
});
