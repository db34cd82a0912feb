/**
 * The child process of crash.test.ts: it writes through a durable storage until it
 * is killed. Before each write it prints `begin <json>` and after the write resolves `done`,
 * both with synchronous writes to fd 1, so the parent knows every resolved write and the one
 * in flight. Run as `node --import tsx crash-child.ts <dir> <seed> <level|wal>`.
 */
import { writeSync } from 'node:fs';
import { SeededRng } from '../../src/raft/rng.js';
import { crashEntry, openCrashStorage, type CrashOp, type CrashStorageKind } from './crash-model.js';

const [dir, seedArg, kind] = process.argv.slice(2);
const rng = new SeededRng(Number(seedArg));
const s = await openCrashStorage((kind ?? 'level') as CrashStorageKind, dir!);

function say(line: string): void {
  writeSync(1, `${line}\n`);
}

say('ready');
for (;;) {
  const hs = s.initialState().hardState;
  const last = s.lastIndex();
  const snapIndex = s.snapshot().metadata.index;
  let op: CrashOp;
  const roll = rng.nextInt(100);
  if (roll < 6 && hs.commit > snapIndex) {
    op = { kind: 'snap', index: hs.commit };
  } else if (roll < 10 && snapIndex >= s.firstIndex()) {
    op = { kind: 'compact', index: snapIndex };
  } else {
    // Append, or (one time in five) overwrite an uncommitted suffix with a newer term.
    const overwrite = rng.nextInt(5) === 0 && last > hs.commit;
    const start = overwrite ? hs.commit + 1 + rng.nextInt(last - hs.commit) : last + 1;
    const term = Math.max(hs.term, s.term(start - 1)) + (overwrite || rng.nextInt(10) === 0 ? 1 : 0);
    const n = 1 + rng.nextInt(16);
    const newLast = start + n - 1;
    const commit = Math.min(newLast, hs.commit + rng.nextInt(n + 1));
    op = { kind: 'save', start, n, term, hardState: { term, vote: 1, commit: Math.max(commit, hs.commit) } };
  }
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
