import { afterEach, expect, test, vi } from 'vitest';

// `npm run bench`'s storage-wal table, at a small scale: every subject measured, and its last
// line, the zero-fill comparison (O_DSYNC writes into a segment made by `preallocate` against one
// zero-filled a MiB per write), printed with figures for both files. The bench reads its round
// counts when it is imported, so the test sets them first.
afterEach(() => {
  vi.restoreAllMocks();
  delete process.env['BENCH_ROUNDS'];
  delete process.env['BENCH_SAVES'];
});

test('the storage-wal bench measures every subject and ends with the zero-fill comparison', async () => {
  process.env['BENCH_ROUNDS'] = '2';
  process.env['BENCH_SAVES'] = '5';
  const { run } = await import('../../bench/storage-wal.bench.js');
  const lines: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...xs: unknown[]) => {
    lines.push(xs.map(String).join(' '));
  });
  const figures = (await run()) as Record<string, { perSecond?: number; smallPerSecond?: number; mibPerSecond?: number }>;
  for (const name of ['raw write+fdatasync, inline', 'raw write+fdatasync, pool', 'raw pwrite O_DSYNC, pool', 'raw pwrite O_DSYNC, inline', 'WalStorage', 'LevelStorage']) {
    expect(figures[name]?.perSecond, name).toBeGreaterThan(0);
  }
  expect(lines.at(-1)).toMatch(/zero-filled 64 KiB per write \(preallocate\): [\d,]+ \/s \(p99 [\d.]+ ms\); a MiB per write: [\d,]+ \/s \(p99 [\d.]+ ms\); ratio \d+\.\d\d$/);
  expect(figures['zeroFill']?.smallPerSecond).toBeGreaterThan(0);
  expect(figures['zeroFill']?.mibPerSecond).toBeGreaterThan(0);
}, 120_000);
