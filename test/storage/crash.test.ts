import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { SeededRng } from '../../src/raft/rng.js';
import { applyOp, describeModel, observeModel, openCrashStorage, type CrashModel, type CrashOp, type CrashStorageKind } from './crash-model.js';

const here = dirname(fileURLToPath(import.meta.url));
const KILLS = 10;
const SEED = Number(process.env.CRASH_SEED ?? 20240611);
const base = mkdtempSync(join(tmpdir(), 'raftkit-crash-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

interface ChildRun {
  /** The ops whose write resolved, in order. */
  done: CrashOp[];
  /** The op begun but not reported done when the child died. */
  pending: CrashOp | undefined;
}

/** Runs the child until it has reported `killAfter` resolved writes, then SIGKILLs it. */
function runChild(kind: CrashStorageKind, dir: string, seed: number, killAfter: number): Promise<ChildRun> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'crash-child.ts'), dir, String(seed), kind], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const run: ChildRun = { done: [], pending: undefined };
  let buf = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line.startsWith('begin ')) run.pending = JSON.parse(line.slice(6)) as CrashOp;
      else if (line === 'done' && run.pending !== undefined) {
        run.done.push(run.pending);
        run.pending = undefined;
        if (run.done.length === killAfter) child.kill('SIGKILL');
      }
    }
  });
  return new Promise((resolve, reject) => {
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(run);
      else reject(new Error(`child exited with ${code ?? signal}: ${stderr}`));
    });
  });
}

describe.each(['level', 'wal'] as const)('%s storage', (kind) => {
test(`every resolved save survives ${KILLS} SIGKILLs of a writing process (seed ${SEED})`, async () => {
  const dir = join(base, kind);
  const rng = new SeededRng(SEED);
  let model: CrashModel | undefined;
  let writes = 0;
  for (let kill = 0; kill < KILLS; kill++) {
    const { done, pending } = await runChild(kind, dir, rng.nextUint32(), 5 + rng.nextInt(60));
    writes += done.length;
    const s = await openCrashStorage(kind, dir);
    try {
      // The log loaded and checked every record (an open fails on a bad checksum), and no repair was needed.
      expect(s.recovery).toBeUndefined();
      const got = observeModel(s);
      let acked = model ?? got;
      for (const op of done) acked = applyOp(acked, op);
      const allowed = [describeModel(acked)];
      if (pending !== undefined) allowed.push(describeModel(applyOp(acked, pending)));
      // Every resolved write is there; the one in flight is either wholly there or wholly absent.
      expect(allowed, `kill ${kill}`).toContain(describeModel(got));
      model = got;
    } finally {
      await s.close();
    }
  }
  expect(writes).toBeGreaterThan(KILLS * 5);
}, 60_000);
});
