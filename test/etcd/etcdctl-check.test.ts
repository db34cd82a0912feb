import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { etcdctl } from './helpers.js';
import { freePort, singleMemberArgs, spawnRaftkit } from './process-cluster.js';

// `etcdctl check datascale`, an operator's sizing check: 10,000 puts of 1 KiB from 50 clients,
// the member's memory read from its /metrics before and after, then (asked) the keys deleted,
// the store compacted at the last revision and defragmented.

const dir = mkdtempSync(join(tmpdir(), 'raftkit-etcdctl-check-'));
const stops: (() => void)[] = [];
afterAll(() => {
  for (const s of stops) s();
  rmSync(dir, { recursive: true, force: true });
});

test('etcdctl check datascale --auto-compact --auto-defrag passes: the load is written, read back as memory, cleaned up, compacted and defragmented', async () => {
  const client = `http://127.0.0.1:${String(await freePort())}`;
  const peer = `http://127.0.0.1:${String(await freePort())}`;
  const m = spawnRaftkit(singleMemberArgs('check', join(dir, 'check'), client, peer));
  stops.push(() => m.child.kill('SIGKILL'));
  await m.started;
  const host = new URL(client).host;
  const r = await etcdctl([host], ['check', 'datascale', '--load=s', '--auto-compact', '--auto-defrag']);
  const out = r.stdout.replace(/\r/g, '\n');
  expect(r.code, r.stderr).toBe(0);
  const compacted = /^Compacted with revision (\d+)$/m.exec(out);
  expect(compacted).not.toBeNull();
  // 10,000 puts and the deletion of their prefix, each a revision after the first.
  expect(Number(compacted![1])).toBe(10_002);
  expect(out).toContain(`Defragmented "${host}"`);
  const memory = /^PASS: Approximate system memory used : ([\d.]+) MB\.$/m.exec(out);
  expect(memory).not.toBeNull();
  expect(Number(memory![1])).toBeGreaterThan(0);
  // The check's keys are gone, and the history below the compaction with them.
  const left = await etcdctl([host], ['get', '--prefix', '/etcdctl-check-datascale/', '-w', 'json']);
  expect(left.code).toBe(0);
  expect((JSON.parse(left.stdout) as { count?: number }).count ?? 0).toBe(0);
  const old = await etcdctl([host], ['get', '--prefix', '/etcdctl-check-datascale/', '--rev=2']);
  expect(old.code).not.toBe(0);
  expect(old.stderr).toContain('etcdserver: mvcc: required revision has been compacted');
}, 60_000);
