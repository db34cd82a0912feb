import { spawnSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
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
const DURATIONS = ['5s', '1.5s', '.5s', '1.s', '+5s', '1h2m3.5s', '1us', '1µs', '1μs', '1ns', '00s', '0', '+0', '5', '0.0', '', '.s', '5S', '5sec', '1 s', '9999999999h', '2562047h', '2562048h', '9223372036854775807ns', '9223372036854775808ns'];

describe('flag values as etcd 3.4 reads them (differential)', () => {
  test.each([
    ['strict-reconfig-check', BOOLS],
    ['snapshot-count', UINTS],
    ['quota-backend-bytes', INTS],
    ['experimental-watch-progress-notify-interval', DURATIONS],
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

describe('the values Go reads', () => {
  test('booleans', () => {
    expect(BOOLS.map(parseGoBool)).toEqual([true, false, true, false, true, false, true, false, true, false, true, false, undefined, undefined, undefined, undefined, undefined]);
  });

  test('unsigned integers in base 0: hex, octal (0o and a leading 0), binary, digit separators', () => {
    expect(['10', '0x2710', '0X1f', '0o17', '017', '0b101', '1_000', '0x_1F', '0_7', '0'].map(parseGoUint)).toEqual([10n, 10000n, 31n, 15n, 15n, 5n, 1000n, 31n, 7n, 0n]);
    expect(parseGoUint('18446744073709551615')).toBe(18446744073709551615n);
    expect(parseGoUint('18446744073709551616')).toBe('value out of range');
    for (const bad of ['', '+5', '-1', '1e3', '1__0', '_1', '1_', '0x', '09', '0b2']) expect(parseGoUint(bad)).toBe('parse error');
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
