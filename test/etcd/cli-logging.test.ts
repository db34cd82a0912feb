import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { afterAll, expect, test } from 'vitest';
import { until } from './helpers.js';
import { freePort, singleMemberArgs, spawnRaftkit } from './process-cluster.js';

// `--log-outputs` sends the member's JSON log lines to stderr, stdout and files, as etcd's;
// `--pre-vote` reaches the member (it logs the setting it runs with, as etcd does at start).

const dir = mkdtempSync(join(tmpdir(), 'raftkit-cli-log-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function member(name: string, extra: string[], env: Record<string, string> = {}): Promise<ReturnType<typeof spawnRaftkit> & { client: string }> {
  const client = `http://127.0.0.1:${String(await freePort())}`;
  const peer = `http://127.0.0.1:${String(await freePort())}`;
  return { ...spawnRaftkit([...singleMemberArgs(name, join(dir, name), client, peer), ...extra], env), client };
}

test('--log-outputs=stderr,<file> writes every line to both; SIGTERM\'s last lines reach the file; --pre-vote=false reaches the member; etcd 0.4\'s flags and unknown ETCD_* variables are warned of; --snapshot-count=0 is etcd\'s default, logged', async () => {
  const file = join(dir, 'member.log');
  const m = await member('logs', ['--logger=zap', `--log-outputs=stderr,${file}`, '--pre-vote=false', '--peer-heartbeat-interval=100', '--snapshot-count=0'], { ETCD_SNAPSHOT_COUNTT: '5', ETCD_MAX_TXN_OPS: '64' });
  await m.started;
  m.child.kill('SIGTERM');
  expect(await m.exited).toBe(0);
  const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { level: string; msg: string; 'pre-vote'?: boolean });
  expect(lines.find((l) => l.msg === 'member started')).toMatchObject({ level: 'info', 'pre-vote': false });
  expect(lines.at(-1)!.msg).toBe('stopped');
  expect(lines.find((l) => l.msg.includes('peer-heartbeat-interval'))).toMatchObject({ level: 'warn', msg: 'flag "-peer-heartbeat-interval" is no longer supported - ignoring.' });
  // etcd's default for --snapshot-count=0, logged as etcd logs it.
  expect(lines.find((l) => l.msg === 'updating snapshot-count to default')).toMatchObject({ level: 'info', 'given-snapshot-count': 0, 'updated-snapshot-count': 100000 });
  // A variable used, and a misspelt one, which sets nothing (etcd's info line and warning).
  expect(lines.find((l) => l.msg === 'recognized and used environment variable')).toMatchObject({ level: 'info', 'variable-name': 'ETCD_MAX_TXN_OPS', 'variable-value': '64' });
  expect(lines.find((l) => l.msg === 'unrecognized environment variable')).toMatchObject({ level: 'warn', 'environment-variable': 'ETCD_SNAPSHOT_COUNTT=5' });
  // The same lines went to stderr.
  for (const l of lines) expect(m.output()).toContain(`"msg":${JSON.stringify(l.msg)}`);
}, 30_000);

test('a log output that cannot be opened stops the command with status 2, naming the flag', async () => {
  const m = await member('badlog', ['--log-outputs', join(dir, 'no', 'such', 'dir', 'x.log')]);
  expect(await m.exited).toBe(2);
  expect(m.output()).toMatch(/invalid value ".*x.log" for flag -log-outputs: cannot open it to append: ENOENT/);
}, 30_000);

test('--log-format=console writes zap\'s console lines; a unary call over --warning-unary-request-duration is logged as "request stats"', async () => {
  const m = await member('console', ['--log-format=console', '--warning-unary-request-duration=1ns']);
  const etcd = new Etcd3({ hosts: m.client });
  try {
    await until(() => m.output().includes('\tINFO\tmember started\t'), 'the console line of the start', 20_000);
    await etcd.put('slow').value('1');
    await until(() => /\tWARN\trequest stats\t\{"time spent":"[\d.]+ms","method":"\/etcdserverpb\.KV\/Put","code":0\}\n/.test(m.output()), 'the put\'s request stats');
    expect(m.output()).not.toContain('"msg":');
  } finally {
    etcd.close();
    m.child.kill('SIGKILL');
    await m.exited;
  }
}, 30_000);
