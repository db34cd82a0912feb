import { afterEach, expect, test, vi } from 'vitest';
import { run } from '../../bench/snapshot.bench.js';

// `npm run bench`'s snapshot table, at a small scale: a file saved, its status, read back,
// restored into a member's data dir as `raftkit snapshot restore` lays it out, and saved again
// from that KV. The bench throws when a phase's result is wrong (it once opened the restored
// data dir in the layout from before the member's KV got a database of its own, found it empty,
// and stopped `npm run bench` there).
afterEach(() => {
  vi.restoreAllMocks();
  delete process.env['SNAPSHOT_KEYS'];
});

test('the snapshot bench runs every phase, and the snapshot saved from the restored KV stands where the file did', async () => {
  process.env['SNAPSHOT_KEYS'] = '2000';
  const lines: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...xs: unknown[]) => {
    lines.push(xs.map(String).join(' '));
  });
  await run();
  const phases = lines.map((l) => /^ {2}(\S+(?: \S+)*?)\s{2,}/.exec(l)?.[1]).filter((p) => p !== undefined);
  expect(phases).toEqual(['save', 'file size', 'status', 'status', 'restore read', 'restore into KV', 'save from KV', 'from KV']);
  const status = (label: string): unknown => {
    const line = lines.find((l) => l.trimStart().startsWith(`${label} `) && l.includes('{'))!;
    return JSON.parse(line.slice(line.indexOf('{')));
  };
  expect(status('status')).toMatchObject({ revision: 2001, totalKey: 2003 });
  expect(status('from KV')).toMatchObject({ revision: 2001, totalKey: 2003 });
}, 60_000);
