import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, test } from 'vitest';
import { KvStateMachine } from '../../src/kv/kv-state-machine.js';
import { differentialPair } from './differential-pair.js';
import { etcdctl, until } from './helpers.js';

// etcdctl's recipes built on the KV, lease and watch APIs (its `lock`, `elect` and `make-mirror`
// commands: clientv3's concurrency package and mirror syncer), run the same way against a real
// single-member etcd 3.4 and a single-member raftkit: each must behave the same on both, and
// make-mirror must move live data both ways between them.

const pair = differentialPair(() => new KvStateMachine({ electionMs: 1000 }));
const sides = (): [string, string][] => [['etcd', pair.etcd.url], ['raftkit', pair.raftkitUrl]];
const host = (url: string): string => new URL(url).host;

/** A long-running etcdctl, its output with the time each line arrived. */
interface Running {
  child: ChildProcess;
  lines: { at: number; text: string }[];
  exited: Promise<number | null>;
}

const running: Running[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) {
    if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
    await r.exited;
  }
});

function start(url: string, args: string[]): Running {
  const child = spawn('etcdctl', [`--endpoints=${host(url)}`, '--dial-timeout=3s', ...args], { env: { ...process.env, ETCDCTL_API: '3' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const r: Running = { child, lines: [], exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))) };
  let partial = '';
  child.stdout.on('data', (d: Buffer) => {
    const parts = (partial + d.toString()).split('\n');
    partial = parts.pop()!;
    for (const text of parts) r.lines.push({ at: performance.now(), text });
  });
  running.push(r);
  return r;
}

const texts = (r: Running): string[] => r.lines.map((l) => l.text);
const at = (r: Running, text: string): number => r.lines.find((l) => l.text === text)?.at ?? Number.NaN;
/** The lease part of an election or lock key (`name/694d7a1e2b3c4d5e`), replaced by its order of appearance. */
function leasesByOrder(lines: string[]): string[] {
  const seen = new Map<string, string>();
  return lines.map((l) => l.replace(/\/([0-9a-f]{1,16})$/, (_, id: string) => `/<lease ${seen.get(id) ?? (seen.set(id, String(seen.size + 1)), seen.size)}>`));
}

describe('etcdctl recipes against etcd and raftkit', () => {
  test('lock: a second holder gets in only after the first leaves, at the same lock revisions on both', async () => {
    const seen: Record<string, string[]> = {};
    for (const [side, url] of sides()) {
      const a = start(url, ['lock', 'recipes-lock', '--', 'sh', '-c', 'echo A-in $ETCD_LOCK_REV; sleep 1; echo A-out']);
      await until(() => texts(a).some((t) => t.startsWith('A-in')), `${side}: the first holder`);
      const b = start(url, ['lock', 'recipes-lock', '--', 'sh', '-c', 'echo B-in $ETCD_LOCK_REV']);
      expect(await a.exited, side).toBe(0);
      expect(await b.exited, side).toBe(0);
      const aOut = at(a, 'A-out');
      const bIn = b.lines.find((l) => l.text.startsWith('B-in'))!.at;
      expect(bIn, `${side}: B got the lock after A left`).toBeGreaterThan(aOut);
      seen[side] = [...texts(a), ...texts(b)];
    }
    expect(seen['raftkit']).toEqual(seen['etcd']);
    expect(seen['etcd']).toEqual([expect.stringMatching(/^A-in \d+$/), 'A-out', expect.stringMatching(/^B-in \d+$/)]);
  }, 60_000);

  test('elect: a campaign waits for the leader to resign, and an observer sees each leader, the same on both', async () => {
    const seen: Record<string, string[][]> = {};
    for (const [side, url] of sides()) {
      const first = start(url, ['elect', 'recipes-election', 'p1']);
      await until(() => texts(first).includes('p1'), `${side}: p1 elected`);
      const second = start(url, ['elect', 'recipes-election', 'p2']);
      const observer = start(url, ['elect', '-l', 'recipes-election']);
      await until(() => texts(observer).includes('p1'), `${side}: the observer sees p1`);
      await new Promise((r) => setTimeout(r, 300));
      expect(texts(second), `${side}: p2 waits while p1 leads`).toEqual([]);
      // SIGINT: etcdctl resigns and closes its session.
      first.child.kill('SIGINT');
      await until(() => texts(second).includes('p2'), `${side}: p2 elected`);
      await until(() => texts(observer).includes('p2'), `${side}: the observer sees p2`);
      seen[side] = [leasesByOrder(texts(first)), leasesByOrder(texts(second)), leasesByOrder(texts(observer))];
    }
    expect(seen['raftkit']).toEqual(seen['etcd']);
    expect(seen['etcd']![2]).toEqual(['recipes-election/<lease 1>', 'p1', 'recipes-election/<lease 2>', 'p2']);
  }, 60_000);

  test('make-mirror moves a prefix and its live changes from raftkit to etcd and from etcd to raftkit', async () => {
    const [etcd, raftkit] = sides() as [[string, string], [string, string]];
    const directions: [[string, string], [string, string]][] = [[raftkit, etcd], [etcd, raftkit]];
    for (const [[from, src], [to, dest]] of directions) {
      const prefix = `/mirror-${from}/`;
      const ctl = (url: string, args: string[]): ReturnType<typeof etcdctl> => etcdctl([host(url)], args);
      for (let i = 0; i < 5; i++) expect((await ctl(src, ['put', `${prefix}${i}`, `v${i}`])).code).toBe(0);
      const mirror = start(src, ['make-mirror', '--prefix', prefix, host(dest)]);
      for (let i = 5; i < 10; i++) expect((await ctl(src, ['put', `${prefix}${i}`, `v${i}`])).code).toBe(0);
      expect((await ctl(src, ['del', `${prefix}2`])).code).toBe(0);
      expect((await ctl(src, ['put', `${prefix}3`, 'changed'])).code).toBe(0);
      const want = (await ctl(src, ['get', prefix, '--prefix'])).stdout;
      expect(want.split('\n').filter((l) => l !== '')).toHaveLength(18);
      await until(async () => (await ctl(dest, ['get', prefix, '--prefix'])).stdout === want, `${from} → ${to}: the mirror caught up`, 20_000);
      expect(mirror.child.exitCode, `${from} → ${to}: make-mirror still running`).toBeNull();
    }
  }, 90_000);
});
