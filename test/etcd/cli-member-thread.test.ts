import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { MEMBER_HEAP_GROWING_PERCENT, MEMBER_INTERRUPT_BUDGET, MEMBER_SEMI_SPACE_MIB, memberV8Flags } from '../../src/etcd/cli/member-thread.js';
import { ports, singleMemberArgs, spawnRaftkit } from './process-cluster.js';

// The `raftkit` command runs its member on a worker thread whose young generation it sizes
// before the thread's heap exists; a semi-space size the user gave node is kept.

const dir = mkdtempSync(join(tmpdir(), 'raftkit-member-thread-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('memberV8Flags: the command sizes the young generation, sets the old one\'s growth and the tier-up budget, each unless node was given its own', () => {
  const young = [`--max-semi-space-size=${String(MEMBER_SEMI_SPACE_MIB)}`, `--min-semi-space-size=${String(MEMBER_SEMI_SPACE_MIB)}`];
  const growing = [`--heap-growing-percent=${String(MEMBER_HEAP_GROWING_PERCENT)}`];
  const budget = [`--interrupt-budget=${String(MEMBER_INTERRUPT_BUDGET)}`];
  const ours = [...young, ...growing, ...budget];
  expect(memberV8Flags([], undefined)).toEqual(ours);
  expect(memberV8Flags(['--import', 'tsx', '--enable-source-maps'], '--max-old-space-size=4096')).toEqual(ours);
  expect(memberV8Flags(['--max-semi-space-size=8'], undefined)).toEqual([...growing, ...budget]);
  expect(memberV8Flags(['--min_semi_space_size=2'], undefined)).toEqual([...growing, ...budget]);
  expect(memberV8Flags([], '--trace-gc --max-semi-space-size=64')).toEqual([...growing, ...budget]);
  expect(memberV8Flags([], '--max-semi-space-sizes-are-not-a-flag')).toEqual(ours);
  expect(memberV8Flags(['--heap-growing-percent=50'], undefined)).toEqual([...young, ...budget]);
  expect(memberV8Flags([], '--heap_growing_percent=0')).toEqual([...young, ...budget]);
  expect(memberV8Flags(['--interrupt-budget=4096'], undefined)).toEqual([...young, ...growing]);
  expect(memberV8Flags([], '--interrupt_budget 1000')).toEqual([...young, ...growing]);
  // V8's other budgets are other options: the command still sets its own.
  expect(memberV8Flags(['--interrupt-budget-for-feedback-allocation=100'], undefined)).toEqual(ours);
  expect(memberV8Flags(['--heap-growing-percent=50', '--max-semi-space-size=8', '--interrupt-budget=4096'], undefined)).toEqual([]);
});

/** Starts a one-member cluster with `env`, returns its "member started" log line's fields, and stops it with SIGTERM. */
async function startAndStop(name: string, env: Record<string, string>): Promise<{ started: Record<string, unknown>; code: number | null; lastLine: string }> {
  const p = await ports();
  const r = spawnRaftkit(singleMemberArgs(name, join(dir, name), `http://127.0.0.1:${String(p.client)}`, `http://127.0.0.1:${String(p.peer)}`), env);
  await r.started;
  r.child.kill('SIGTERM');
  const code = await r.exited;
  const lines = r.output().trim().split('\n');
  const started = JSON.parse(lines.find((l) => l.includes('"member started"'))!) as Record<string, unknown>;
  return { started, code, lastLine: lines.at(-1)! };
}

test("the member's young generation is the command's, from the start; SIGTERM reaches the member's thread and every line it wrote is out before the process exits", async () => {
  const { started, code, lastLine } = await startAndStop('y1', {});
  // Its young generation starts at the command's size (V8's own starts at a few MiB).
  expect(started['heapNewSpaceMiB']).toBeGreaterThanOrEqual(MEMBER_SEMI_SPACE_MIB);
  expect(code).toBe(0);
  expect(JSON.parse(lastLine)).toMatchObject({ msg: 'stopped' });
}, 60_000);

test('a semi-space size given in NODE_OPTIONS is kept', async () => {
  const { started, code } = await startAndStop('y2', { NODE_OPTIONS: '--max-semi-space-size=4' });
  expect(started['heapNewSpaceMiB']).toBeLessThanOrEqual(8);
  expect(code).toBe(0);
}, 60_000);

// What the command relies on: V8 options set at run time size the heap of a worker created after
// them (a process's own heap is sized before its code runs). A worker allocates short-lived
// objects and counts its scavenges, with and without the options, in a fresh node each time.
test('V8 sizes a worker thread created after the young generation options are set with them', () => {
  const script = `
    const { Worker, isMainThread } = require('node:worker_threads');
    const v8 = require('node:v8');
    if (isMainThread) {
      for (const f of JSON.parse(process.argv[1])) v8.setFlagsFromString(f);
      new Worker(process.argv[2], { eval: true });
    }`;
  const count = (flags: string[]): number => {
    const worker = `
      const { PerformanceObserver } = require('node:perf_hooks');
      let n = 0;
      const obs = new PerformanceObserver((l) => { for (const e of l.getEntries()) if (e.detail.kind === 1) n++; });
      obs.observe({ entryTypes: ['gc'] });
      let keep = [];
      for (let i = 0; i < 1e6; i++) { keep.push({ a: i, b: 'x' + i }); if (keep.length > 1000) keep = []; }
      setTimeout(() => { obs.disconnect(); console.log(n); }, 50);`;
    return Number(execFileSync(process.execPath, ['-e', script, JSON.stringify(flags), worker], { encoding: 'utf8' }).trim());
  };
  const before = count([]);
  const after = count(memberV8Flags([], undefined));
  expect(before).toBeGreaterThan(0);
  expect(after * 3).toBeLessThan(before);
});

// The command's main thread serves the HTTP endpoints, answered by the member's thread.
test('the metrics URL is served while the member runs, and SIGTERM ends the process with a scraper\'s connection still open', async () => {
  const p = await ports();
  const metrics = `http://127.0.0.1:${String(p.metrics)}`;
  const r = spawnRaftkit([...singleMemberArgs('y3', join(dir, 'y3'), `http://127.0.0.1:${String(p.client)}`, `http://127.0.0.1:${String(p.peer)}`), '--listen-metrics-urls', metrics]);
  await r.started;
  // fetch keeps its connection alive for the next request.
  let h = await fetch(`${metrics}/health`);
  for (let i = 0; i < 50 && h.status !== 200; i++) {
    await new Promise((res) => setTimeout(res, 100));
    h = await fetch(`${metrics}/health`);
  }
  expect(await h.json()).toEqual({ health: 'true', reason: '' });
  expect(await (await fetch(`${metrics}/metrics`)).text()).toMatch(/^etcd_server_is_leader 1$/m);
  r.child.kill('SIGTERM');
  expect(await r.exited).toBe(0);
  const lines = r.output().trim().split('\n').map((l) => JSON.parse(l) as { msg: string; address?: string });
  expect(lines.find((l) => l.msg === 'serving metrics')?.address).toBe(metrics);
  expect(lines.at(-1)?.msg).toBe('stopped');
}, 60_000);
