import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { FlagError, parseFlags } from '../../src/etcd/cli/flags.js';

// etcd reads its config file as YAML 1.1 into Go's types: `yes`, `on` and `y` are booleans, a
// quoted "true" is not one, a duration is a number of nanoseconds, a count takes no sign. A
// setting etcd takes must be taken by `raftkit` from the same file, and one etcd refuses for its
// type refused too, naming the setting.

const dir = mkdtempSync(join(tmpdir(), 'raftkit-config-types-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A setting that stops both before a member starts, once the file's types are read.
const STOP = 'listen-client-urls: ftp://127.0.0.1:1\n';

function file(key: string, value: string): string {
  const p = join(dir, 'c.yml');
  writeFileSync(p, `${key}: ${value}\n${STOP}`);
  return p;
}

/** Whether etcd 3.4 takes the value's type: it refuses one it cannot unmarshal into the setting. */
function etcdTakes(key: string, value: string): boolean {
  const r = spawnSync('etcd', ['--config-file', file(key, value)], { encoding: 'utf8', timeout: 10_000 });
  const out = `${r.stderr}${r.stdout}`;
  expect(r.status).not.toBe(0);
  return !/cannot unmarshal|error converting YAML/.test(out);
}

/** Whether raftkit takes it: any refusal but a type refusal of this setting counts as taken. */
function oursTakes(key: string, value: string): boolean {
  try {
    parseFlags(['--config-file', file(key, value)]);
    return true;
  } catch (e) {
    expect(e).toBeInstanceOf(FlagError);
    const typed = /^--config-file ".*": (\S+) must be /.exec((e as Error).message);
    if (typed !== null) expect(typed[1]).toBe(key);
    return typed === null;
  }
}

const VALUES = ['true', 'yes', 'on', 'y', 'NO', 'True', '"true"', '1', '5', '-5', '1.5', '0x10', '010', '1_000', '"5"', 'x', '5s', '[a, b]', '{a: 1}'];

test.each([
  'strict-reconfig-check', 'pre-vote', // bool
  'snapshot-count', 'max-txn-ops', // unsigned
  'quota-backend-bytes', // signed
  'experimental-watch-progress-notify-interval', // nanoseconds
  'initial-cluster-token', 'advertise-client-urls', 'auto-compaction-retention', // strings
  'log-outputs', 'cipher-suites', // lists
])('%s: every YAML value etcd 3.4 takes is taken, every one whose type it refuses is refused', (key) => {
  const differ = VALUES.filter((v) => etcdTakes(key, v) !== oursTakes(key, v)).map((v) => `${v}: etcd ${etcdTakes(key, v) ? 'takes' : 'refuses'} it`);
  expect(differ).toEqual([]);
});

test('a type refusal names the setting, what it must be and what it got', () => {
  expect(() => parseFlags(['--config-file', file('strict-reconfig-check', '"true"')])).toThrow(/: strict-reconfig-check must be a boolean, not the string "true"$/);
  expect(() => parseFlags(['--config-file', file('snapshot-count', '-5')])).toThrow(/: snapshot-count must be an integer >= 0, not the number -5$/);
  expect(() => parseFlags(['--config-file', file('experimental-watch-progress-notify-interval', '5s')])).toThrow(/must be a duration in nanoseconds \(an integer\), not the string "5s"$/);
  // YAML 1.1's booleans and octal, as Go's YAML reads them.
  const p = join(dir, 'ok.yml');
  writeFileSync(p, 'name: m1\ninitial-cluster: m1=http://127.0.0.1:2380\ninitial-advertise-peer-urls: http://127.0.0.1:2380\npre-vote: off\nstrict-reconfig-check: yes\nmax-txn-ops: 010\nquota-backend-bytes: -1\n');
  const c = parseFlags(['--config-file', p]);
  expect(c.kind === 'run' && c.config).toMatchObject({ preVote: false, strictReconfigCheck: true, maxTxnOps: 8, quotaBackendBytes: -1 });
});
