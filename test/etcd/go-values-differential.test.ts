import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { FlagError, parseFlags } from '../../src/etcd/cli/flags.js';
import { parseGoBool, parseGoDurationNs, parseGoInt, parseGoUint } from '../../src/etcd/cli/go-values.js';

// A value etcd's flag parser takes must be taken by `raftkit`, and one it refuses refused with the
// same message: a unit file or a manifest written for etcd (`--snapshot-count=0x2710`,
// `--client-cert-auth=True`, `--watch-progress-notify-interval=.5s`) means the same to both.

/**
 * What Debian's etcd 3.4 says of `--flag=value`: the first line of its refusal, or undefined when
 * it takes the value. A bad flag after it stops etcd before it would start a member.
 */
function etcdVerdict(flag: string, value: string): string | undefined {
  const r = spawnSync('etcd', [`--${flag}=${value}`, '--initial-cluster-state=bogus'], { encoding: 'utf8', timeout: 10_000 });
  const first = `${r.stderr}${r.stdout}`.split('\n')[0]!;
  expect(r.status).not.toBe(0);
  return first.includes('-initial-cluster-state') ? undefined : first;
}

/** What `raftkit` says of the same flag: the FlagError's message, or undefined when it takes it. */
function ourVerdict(flag: string, value: string): string | undefined {
  try {
    parseFlags(['--name', 'm1', `--${flag}=${value}`]);
    return undefined;
  } catch (e) {
    expect(e).toBeInstanceOf(FlagError);
    expect((e as FlagError).flag).toBe(flag);
    return (e as Error).message;
  }
}

const BOOLS = ['1', '0', 't', 'f', 'T', 'F', 'TRUE', 'FALSE', 'True', 'False', 'true', 'false', 'yes', 'no', 'tRUE', 'on', ''];
const UINTS = ['10', '0x2710', '0X1f', '0o17', '017', '0b101', '1_000', '0x_1F', '0_7', '+5', '-1', '1e3', ' 5', '5 ', '1__0', '_1', '1_', '0x', '09', '0b2', '18446744073709551615', '18446744073709551616', '99999999999999999999'];
const INTS = ['-1', '+5', '-0x10', '-0_7', '0', '9223372036854775807', '9223372036854775808', '-9223372036854775808', '-9223372036854775809', '--1', '+-1', '-', '- 1'];
// URL lists, as etcd's types.NewURLs reads them (its unix schemes aside: raftkit listens on TCP only).
const URLS = ['http://x:1', 'ftp://x:1', 'http://x', 'not a url', 'http://x:1/path', 'http://x:1/', 'http://x:1?q=1', ' http://x:1 ', 'http://a:1,http://b:2', 'http://x:1,ftp://y:2', 'HTTP://x:1', 'http://x:80', 'https://x:443', 'http://user@x:1', 'http://[::1]:2'];
const DURATIONS = ['5s', '1.5s', '.5s', '1.s', '+5s', '1h2m3.5s', '1us', '1µs', '1μs', '1ns', '00s', '0', '+0', '5', '0.0', '', '.s', '5S', '5sec', '1 s', '9999999999h', '2562047h', '2562048h', '9223372036854775807ns', '9223372036854775808ns'];

describe('flag values as etcd 3.4 reads them (differential)', () => {
  test.each([
    ['strict-reconfig-check', BOOLS],
    ['snapshot-count', [...UINTS, '0']],
    ['quota-backend-bytes', INTS],
    // etcd's own uint32 type: 32 bits, and strconv's error text.
    ['max-concurrent-streams', [...UINTS, '0', '4294967295', '4294967296', '1.5']],
    ['experimental-watch-progress-notify-interval', DURATIONS],
    ['advertise-client-urls', URLS],
  ] as const)('--%s: every value etcd takes is taken, every one it refuses is refused with its message', (flag, values) => {
    const differ: string[] = [];
    for (const v of values) {
      const etcd = etcdVerdict(flag, v);
      const ours = ourVerdict(flag, v);
      if (etcd !== ours) differ.push(`${JSON.stringify(v)}: etcd ${etcd ?? 'takes it'}, raftkit ${ours ?? 'takes it'}`);
    }
    expect(differ).toEqual([]);
  });

  test('negative durations: Go parses them, etcd would pass them to a ticker that panics; raftkit refuses them naming the flag', () => {
    expect(etcdVerdict('experimental-watch-progress-notify-interval', '-5s')).toBeUndefined();
    expect(parseGoDurationNs('-5s')).toBe(-5_000_000_000n);
    expect(ourVerdict('experimental-watch-progress-notify-interval', '-5s')).toBe('invalid value "-5s" for flag -experimental-watch-progress-notify-interval: must not be negative');
  });
});

/** A check that etcd makes only after it has read the environment: it stops etcd when all else is taken. */
const STOPPER = '--heartbeat-interval=1000';
const cwd = mkdtempSync(join(tmpdir(), 'etcd-env-'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

/**
 * What Debian's etcd 3.4 says of a whole command line and environment (nothing else of this
 * process's environment): the error it stops on, without its log prefix and its "See 'etcd
 * --help'." tail, and the variables it warns of as unrecognized.
 */
function etcdOutcome(argv: readonly string[], env: Record<string, string>): { error: string; unrecognized: string[] } {
  const r = spawnSync('etcd', [...argv, STOPPER], { cwd, env: { PATH: process.env['PATH']!, ...env }, encoding: 'utf8', timeout: 10_000 });
  expect(r.status).not.toBe(0);
  const lines = `${r.stderr}${r.stdout}`.split('\n');
  const unrecognized = lines.flatMap((l) => /unrecognized environment variable (.*)$/.exec(l)?.[1] ?? []);
  const failure = lines.find((l) => / [EC] \| /.test(l) || /^(invalid|flag provided)/.test(l))!;
  const error = failure.replace(/^.* [EC] \| [^:]+: /, '').replace(/^error verifying flags, /, '').replace(/\. See 'etcd --help'\.$/, '');
  return { error, unrecognized };
}

/** The same for `raftkit`: its FlagError's message (the same stopper), and the variables it warns of. */
function ourOutcome(argv: readonly string[], env: Record<string, string>): { error: string; unrecognized: string[] } {
  let error = 'taken';
  try {
    parseFlags([...argv, STOPPER], env);
  } catch (e) {
    expect(e).toBeInstanceOf(FlagError);
    error = (e as Error).message;
  }
  let unrecognized: string[] = [];
  try {
    const p = parseFlags(argv, env);
    if (p.kind === 'run') unrecognized = p.config.unrecognizedEnv;
  } catch {
    // Refused: no member would start to warn.
  }
  return { error, unrecognized };
}

describe('which bad value etcd 3.4 names, and how it reads ETCD_* variables (differential)', () => {
  test.each([
    ['two bad flags: the first on the command line', ['--max-txn-ops=abc', '--snapshot-count=abc'], {}],
    ['the same, the other way round', ['--snapshot-count=abc', '--max-txn-ops=abc'], {}],
    ['a bad value before an unknown flag', ['--snapshot-count=abc', '--bogus'], {}],
    ['an unknown flag before a bad value', ['--bogus', '--snapshot-count=abc'], {}],
    ['a bad boolean before a bad duration', ['--client-cert-auth=yes', '--election-timeout=x'], {}],
    ['a bad value on the command line before a bad variable', ['--snapshot-count=abc'], { ETCD_MAX_TXN_OPS: 'x' }],
    ['a bad variable, named as a variable', [], { ETCD_SNAPSHOT_COUNT: 'abc' }],
    ['two bad variables: the last by flag name', [], { ETCD_SNAPSHOT_COUNT: 'abc', ETCD_MAX_TXN_OPS: 'x' }],
    ['a bad boolean variable', [], { ETCD_CLIENT_CERT_AUTH: 'yes' }],
    ['a bad uint32 variable', [], { ETCD_MAX_CONCURRENT_STREAMS: '-1' }],
    ['a bad duration variable', [], { ETCD_EXPERIMENTAL_WATCH_PROGRESS_NOTIFY_INTERVAL: 'soon' }],
    ['a variable a flag shadows', ['--snapshot-count=5'], { ETCD_SNAPSHOT_COUNT: '5' }],
    ['a shadowed variable before a bad one', ['--snapshot-count=5'], { ETCD_SNAPSHOT_COUNT: '5', ETCD_MAX_TXN_OPS: 'x' }],
    ['an empty variable is not used, and warned of; so is one that names no flag', [], { ETCD_SNAPSHOT_COUNT: '', ETCD_FOO: '1', ETCD_MAX_TXN_OPS: '0x10' }],
    ['a listen URL naming a host, not an IP', ['--listen-client-urls=http://example.com:1', '--advertise-client-urls=http://example.com:1'], {}],
    ['listen URLs: the peer ones first', ['--listen-client-urls=http://example.org:1', '--advertise-client-urls=http://example.com:1', '--listen-peer-urls=http://example.com:1'], {}],
    ['listen URLs: the client ones before the metrics ones', ['--listen-metrics-urls=http://example.com:1', '--listen-client-urls=http://example.org:1', '--advertise-client-urls=http://example.com:1'], {}],
    ['localhost and IPv6 addresses bind', ['--listen-client-urls=http://localhost:1,http://[::1]:2', '--advertise-client-urls=http://localhost:1', '--listen-peer-urls=http://[::1]:3'], {}],
    ['an election timeout over 50 s', ['--election-timeout=60000'], {}],
    ['a bad URL before a bad number', ['--advertise-client-urls=ftp://x:1', '--snapshot-count=abc'], {}],
    ['a bad number before a bad URL', ['--snapshot-count=abc', '--advertise-client-urls=http://x:1/p'], {}],
    ['a bad URL variable, named as a variable', [], { ETCD_ADVERTISE_CLIENT_URLS: 'http://x' }],
  ] as const)('%s', (_, argv, env) => {
    expect(ourOutcome(argv, env)).toEqual(etcdOutcome(argv, env));
  });

  test.each(['bogus', '5x', '-5', '1h2', '.h', '5S'])('--auto-compaction-retention=%j is refused by both, in etcd\'s words (Go\'s duration error)', (v) => {
    const r = spawnSync('etcd', [`--auto-compaction-retention=${v}`, '--data-dir', join(cwd, 'retention')], { cwd, env: { PATH: process.env['PATH']! }, encoding: 'utf8', timeout: 10_000 });
    expect(r.status).not.toBe(0);
    const etcd = /etcdmain: (error parsing CompactionRetention: .*)$/m.exec(r.stderr)?.[1];
    expect(etcd).toBeDefined();
    expect(() => parseFlags(['--auto-compaction-retention', v])).toThrow(new FlagError('auto-compaction-retention', etcd!));
  });

  test.each([
    ['on the command line', ['--listen-client-urls=http://127.0.0.1:1'], {}],
    ['in ETCD_LISTEN_CLIENT_URLS', [], { ETCD_LISTEN_CLIENT_URLS: 'http://127.0.0.1:1' }],
  ] as const)('client URLs chosen %s without the URLs to advertise are refused by both, in etcd\'s words', (_, argv, env) => {
    const r = spawnSync('etcd', argv, { cwd, env: { PATH: process.env['PATH']!, ...env }, encoding: 'utf8', timeout: 10_000 });
    const message = '--advertise-client-urls is required when --listen-client-urls is set explicitly';
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`error verifying flags, ${message}.`);
    expect(() => parseFlags(argv, env)).toThrow(new FlagError('advertise-client-urls', message));
    expect(() => parseFlags([...argv, '--advertise-client-urls=http://127.0.0.1:1'], env)).not.toThrow();
  });
});

describe('the values Go reads', () => {
  test('booleans', () => {
    expect(BOOLS.map(parseGoBool)).toEqual([true, false, true, false, true, false, true, false, true, false, true, false, undefined, undefined, undefined, undefined, undefined]);
  });

  test('unsigned integers in base 0: hex, octal (0o and a leading 0), binary, digit separators', () => {
    expect(['10', '0x2710', '0X1f', '0o17', '017', '0b101', '1_000', '0x_1F', '0_7', '0'].map((v) => parseGoUint(v))).toEqual([10n, 10000n, 31n, 15n, 15n, 5n, 1000n, 31n, 7n, 0n]);
    expect(parseGoUint('18446744073709551615')).toBe(18446744073709551615n);
    expect(parseGoUint('18446744073709551616')).toBe('value out of range');
    for (const bad of ['', '+5', '-1', '1e3', '1__0', '_1', '1_', '0x', '09', '0b2']) expect(parseGoUint(bad)).toBe('parse error');
    expect([parseGoUint('4294967295', 32), parseGoUint('0x100000000', 32), parseGoUint('0x100000000')]).toEqual([4294967295n, 'value out of range', 4294967296n]);
    const p = parseFlags(['--snapshot-count=0x2710', '--max-txn-ops=0_200']);
    expect(p.kind === 'run' && [p.config.snapshotCount, p.config.maxTxnOps]).toEqual([10000, 128]);
  });

  test('signed integers: a sign, then what an unsigned one takes, within int64', () => {
    expect(['-1', '+5', '-0x10', '-0_7', '0', '-9223372036854775808'].map(parseGoInt)).toEqual([-1n, 5n, -16n, -7n, 0n, -9223372036854775808n]);
    for (const bad of ['--1', '+-1', '-', '- 1', '']) expect(parseGoInt(bad)).toBe('parse error');
    expect([parseGoInt('9223372036854775808'), parseGoInt('-9223372036854775809')]).toEqual(['value out of range', 'value out of range']);
  });

  test('durations: fractions, signs, every unit, int64 nanoseconds at most', () => {
    const ns = (v: string): bigint | undefined => parseGoDurationNs(v);
    expect(ns('1h2m3.5s')).toBe(3_723_500_000_000n);
    expect(ns('.5s')).toBe(500_000_000n);
    expect(ns('1.s')).toBe(1_000_000_000n);
    expect(ns('1.5h')).toBe(5_400_000_000_000n);
    expect(ns('1.0000000001s')).toBe(1_000_000_000n);
    expect([ns('1ns'), ns('1us'), ns('1µs'), ns('1μs'), ns('1ms'), ns('1m')]).toEqual([1n, 1000n, 1000n, 1000n, 1_000_000n, 60_000_000_000n]);
    expect([ns('0'), ns('-0'), ns('+0')]).toEqual([0n, 0n, 0n]);
    expect(ns('9223372036854775807ns')).toBe(9223372036854775807n);
    expect(ns('-9223372036854775808ns')).toBe(-9223372036854775808n);
    for (const bad of ['9223372036854775808ns', '2562048h', '', '5', '00', '.s', '5S', '1 s', '-', '+']) expect(ns(bad)).toBeUndefined();
  });
});
