/**
 * The child process of crash.test.ts: it writes through a durable storage until it
 * is killed. Before each write it prints `begin <json>` and after the write resolves `done`,
 * both with synchronous writes to fd 1, so the parent knows every resolved write and the one
 * in flight. Run as `node --import tsx crash-child.ts <dir> <seed> <level|wal>`.
 */
import { writeSync } from 'node:fs';
import { SeededRng } from '../../src/raft/rng.js';
import { crashEntry, nextCrashOp, openCrashStorage, type CrashStorageKind } from './crash-model.js';

const [dir, seedArg, kind] = process.argv.slice(2);
const rng = new SeededRng(Number(seedArg));
const s = await openCrashStorage((kind ?? 'level') as CrashStorageKind, dir!);

/** Writes `line` to fd 1 whole: a pipe the parent drains slowly (a loaded machine) is full for a moment, not broken. */
function say(line: string): void {
  const bytes = Buffer.from(`${line}\n`);
  for (let at = 0; at < bytes.length;) {
    try {
      at += writeSync(1, bytes, at);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
    }
  }
}

say('ready');
for (;;) {
  const op = nextCrashOp(s, rng);
  say(`begin ${JSON.stringify(op)}`);
  if (op.kind === 'save') {
    const entries = Array.from({ length: op.n }, (_, k) => crashEntry(op.start + k, op.term));
    await s.save({ hardState: op.hardState, entries, sync: true });
  } else if (op.kind === 'snap') {
    await s.createSnapshot(op.index, undefined, new Uint8Array(2000).fill(op.index & 0xff));
  } else {
    await s.compact(op.index);
  }
  say('done');
}
