import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { MEMBER_SEMI_SPACE_MIB, youngGenerationFlags } from '../../src/etcd/cli/member-thread.js';
import { ports, singleMemberArgs, spawnRaftkit } from './process-cluster.js';

// The `raftkit` command runs its member on a worker thread whose young generation it sizes
// before the thread's heap exists; a semi-space size the user gave node is kept.

const dir = mkdtempSync(join(tmpdir(), 'raftkit-member-thread-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('youngGenerationFlags: the command sizes the young generation unless node was given a semi-space size', () => {
  const ours = [`--max-semi-space-size=${String(MEMBER_SEMI_SPACE_MIB)}`, `--min-semi-space-size=${String(MEMBER_SEMI_SPACE_MIB)}`];
  expect(youngGenerationFlags([], undefined)).toEqual(ours);
  expect(youngGenerationFlags(['--import', 'tsx', '--enable-source-maps'], '--max-old-space-size=4096')).toEqual(ours);
  expect(youngGenerationFlags(['--max-semi-space-size=8'], undefined)).toEqual([]);
  expect(youngGenerationFlags(['--min_semi_space_size=2'], undefined)).toEqual([]);
  expect(youngGenerationFlags([], '--trace-gc --max-semi-space-size=64')).toEqual([]);
  expect(youngGenerationFlags([], '--max-semi-space-sizes-are-not-a-flag')).toEqual(ours);
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
  // The new space holds two semi-spaces.
  expect(started['heapNewSpaceMiB']).toBe(2 * MEMBER_SEMI_SPACE_MIB);
  expect(code).toBe(0);
  expect(JSON.parse(lastLine)).toMatchObject({ msg: 'stopped' });
}, 60_000);

test('a semi-space size given in NODE_OPTIONS is kept', async () => {
  const { started, code } = await startAndStop('y2', { NODE_OPTIONS: '--max-semi-space-size=4' });
  expect(started['heapNewSpaceMiB']).toBeLessThanOrEqual(8);
  expect(code).toBe(0);
}, 60_000);
