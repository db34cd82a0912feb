import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { historyFromJSON } from '../../src/testing/index.js';
import { runChaos } from '../../chaos/chaos.js';
import { parseOptions } from '../../chaos/options.js';
import { formatSummary } from '../../chaos/summary.js';

// A short `npm run chaos`: three member processes (classic-level, TCP on loopback), 8 s of the
// KV workload while the nemesis kills (-9) and pauses (SIGSTOP) members and a hostile peer
// sends mutated frames, with a watch stream per member, then the history is
// checked and saved, and the watch streams are checked against the committed history. The nemesis uses each allowed fault kind once before picking at random.
const out = mkdtempSync(join(tmpdir(), 'raftkit-chaos-test-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

test('a short chaos run with kill -9 and SIGSTOP stays linearizable and saves its history', async () => {
  const file = join(out, 'history.json');
  const options = parseOptions(['--duration', '8s', '--members', '3', '--clients', '6', '--keys', '3', '--seed', '7', '--interval', '1200ms', '--down', '1s', '--faults', 'kill,pause,kill-leader,hostile', '--out', file]);
  const lines: string[] = [];
  const report = await runChaos(options, (line) => lines.push(line));
  const summary = formatSummary(report).join('\n');
  // Printed so a failing seed can be replayed with `npm run chaos -- --seed 7 …`.
  console.log(`${lines.join('\n')}\n${summary}`);

  expect(report.signals.sigkill).toBeGreaterThanOrEqual(1);
  expect(report.signals.sigstop).toBeGreaterThanOrEqual(1);
  expect(report.maxFaulty).toBeLessThanOrEqual(1);
  // The hostile peer sent its mutated frames, and no member stopped (the checks below pass).
  expect(report.faults.hostile).toBeGreaterThanOrEqual(1);
  expect(report.hostileFrames.messages).toBeGreaterThan(0);
  expect(report.workload.outcomes.ok).toBeGreaterThan(50);
  expect(report.check.ok, summary).toBe(true);
  expect(report.lost, summary).toEqual([]);
  // The watch streams (one per member, resumed after kills) kept etcd's six guarantees.
  expect(report.watch.violations, summary).toEqual([]);
  expect(report.watch.events).toBeGreaterThan(50);
  expect(report.watch.progress).toBeGreaterThan(0);
  expect(report.watch.resumes).toBeGreaterThanOrEqual(1);
  expect(existsSync(file)).toBe(true);
  const saved = historyFromJSON(readFileSync(file, 'utf8'));
  // Failed operations are not saved (they had no effect); the final reads are.
  expect(saved.length).toBe(report.operations - report.workload.outcomes.fail - report.finalReadFailures);
  expect(saved.some((op) => String(op.clientId).startsWith('final-'))).toBe(true);
}, 60_000);
