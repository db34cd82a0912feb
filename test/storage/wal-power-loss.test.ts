/**
 * Power loss on WalStorage: kill -9 (crash.test.ts) cannot show a missing flush, because the
 * page cache survives the process. Here the storage runs on {@link PowerLossFs}, an in-memory
 * disk that knows what is durable (writes covered by an fdatasync or made with O_DSYNC; names
 * covered by a directory fsync) and loses the rest when the power goes off at a seeded step.
 *
 * For every seed a script of appends, overwrites, unsynced saves, snapshots, installs (every
 * other one staged from chunks, then made current by reference) and compactions runs once to count its disk steps, then again with the power cut at seeded
 * steps. The image the reboot finds must open; its log must be the state after some prefix of
 * the script that includes every write acknowledged as durable (a synced save, a snapshot, an
 * install); a torn tail may be cut only where a log write was interrupted; the repair must be
 * durable (a second power loss right after reopening gives the same log); and the log must
 * take new writes. The same check on a disk that ignores flushes finds lost writes.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import type { HardState } from '../../src/raft/entry.js';
import { SeededRng } from '../../src/raft/rng.js';
import { Replica } from '../../src/replica/replica.js';
import { Ledger } from './ledger.js';
import { WalStorage } from '../../src/storage/wal/wal-storage.js';
import { InProcessNetwork } from '../../src/transport/in-process.js';
import { applyOp, crashEntry, describeModel, nextCrashOp, observeModel, type CrashModel, type CrashOp } from './crash-model.js';
import { PowerLossFs, type PowerLossOptions } from './power-loss-fs.js';

const DIR = '/disk/wal';
const OPS = 60;
/** Small segments, so that scripts roll over, prepare spares and release segments. */
const SEGMENT = 4096;

type Op = (CrashOp & { sync?: boolean }) | { kind: 'install'; index: number; term: number; hardState: HardState };

interface State {
  model: CrashModel;
  snapData: number;
}

function render(s: State): string {
  return `${describeModel(s.model)} snapData=${s.snapData}`;
}

function snapByte(op: { kind: 'snap' | 'install'; index: number }): number {
  return (op.index * 7 + (op.kind === 'install' ? 1 : 0)) & 0xff;
}

function observe(s: WalStorage): State {
  const snap = s.snapshot();
  return { model: observeModel(s), snapData: snap.metadata.index === 0 ? -1 : (snap.data[0] ?? -1) };
}

function nextOp(s: WalStorage, rng: SeededRng): Op {
  if (rng.nextInt(40) === 0) {
    // A snapshot from a leader replaces the log.
    const index = s.lastIndex() + 1 + rng.nextInt(5);
    const term = Math.max(s.initialState().hardState.term, s.term(s.lastIndex())) + 1;
    return { kind: 'install', index, term, hardState: { term, vote: 2, commit: index } };
  }
  const op = nextCrashOp(s, rng);
  return op.kind === 'save' ? { ...op, sync: rng.nextInt(3) !== 0 } : op;
}

function apply(state: State, op: Op): State {
  if (op.kind === 'install') {
    const terms = new Map([[op.index, op.term]]);
    return { model: { hardState: op.hardState, first: op.index + 1, snapIndex: op.index, terms }, snapData: snapByte(op) };
  }
  return { model: applyOp(state.model, op), snapData: op.kind === 'snap' ? snapByte(op) : state.snapData };
}

async function run(s: WalStorage, op: Op): Promise<boolean> {
  if (op.kind === 'save') {
    const entries = Array.from({ length: op.n }, (_, k) => crashEntry(op.start + k, op.term));
    await s.save({ hardState: op.hardState, entries, sync: op.sync ?? true });
    return op.sync ?? true;
  }
  // Every other snapshot (of a real term) is staged from chunks first (written beside the log) and made current by reference.
  const staged = (index: number, term: number, data: Uint8Array): Promise<Uint8Array> =>
    index % 2 === 0 && term > 0 ? s.stageSnapshot({ index, term }, [data.subarray(0, 100), data.subarray(100, 250), data.subarray(250)]) : Promise.resolve(data);
  if (op.kind === 'snap') {
    await s.createSnapshot(op.index, undefined, await staged(op.index, s.term(op.index), new Uint8Array(300).fill(snapByte(op))));
    return true;
  }
  if (op.kind === 'install') {
    const data = await staged(op.index, op.term, new Uint8Array(300).fill(snapByte(op)));
    const metadata = { index: op.index, term: op.term, confState: { voters: [1, 2, 3], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false } };
    await s.save({ snapshot: { data, metadata }, hardState: op.hardState, entries: [], sync: true });
    return true;
  }
  await s.compact(op.index);
  return false;
}

interface Outcome {
  /** `states[k]`: the log after the first k ops. */
  states: string[];
  /** Ops up to here were acknowledged as durable. */
  acked: number;
  /** Ops issued (the last may have been cut off). */
  issued: number;
}

/** Runs the script of `seed` on `fs` until the end or the first failure (the power going off). */
async function script(seed: number, fs: PowerLossFs): Promise<Outcome> {
  const rng = new SeededRng(seed);
  let state: State = { model: { hardState: { term: 0, vote: 0, commit: 0 }, first: 1, snapIndex: 0, terms: new Map([[0, 0]]) }, snapData: -1 };
  const out: Outcome = { states: [render(state)], acked: 0, issued: 0 };
  let s: WalStorage;
  try {
    s = await WalStorage.open({ dir: DIR, segmentSize: SEGMENT, fs });
  } catch {
    return out;
  }
  for (let i = 0; i < OPS; i++) {
    const op = nextOp(s, rng);
    state = apply(state, op);
    out.states.push(render(state));
    out.issued = i + 1;
    try {
      if (await run(s, op)) out.acked = i + 1;
    } catch {
      return out;
    }
  }
  try {
    await s.close();
    out.acked = out.issued;
  } catch {
    // the power went off during close
  }
  return out;
}

/**
 * Reopens the image after the power loss and checks it; returns a description of any
 * violation, or `'cut'` / `'ok'`.
 */
async function checkImage(fs: PowerLossFs, o: Outcome, unsynced: PowerLossOptions['unsynced']): Promise<string> {
  const img = fs.image!;
  let s: WalStorage;
  try {
    s = await WalStorage.open({ dir: DIR, segmentSize: SEGMENT, fs: img });
  } catch (err) {
    return `does not reopen: ${String(err)}`;
  }
  let got: string;
  try {
    got = render(observe(s));
  } catch (err) {
    return `unreadable log: ${String(err)}`;
  }
  const k = o.states.indexOf(got, o.acked);
  if (k < 0 || k > o.issued) {
    const before = o.states.slice(0, o.acked).lastIndexOf(got);
    return `the log is not a state in [${o.acked}, ${o.issued}] (${before >= 0 ? `it is the state after op ${before}: acknowledged writes lost` : 'no state of the script'}): ${got}`;
  }
  const cut = s.recovery;
  if (cut !== undefined) {
    const hit = fs.interrupted;
    const torn = unsynced === 'some' && hit?.op === 'write' && hit.mode === 'log' && hit.path === join(DIR, cut.segment);
    if (!torn) return `a tail was cut (${JSON.stringify(cut)}) where no log write was interrupted (${JSON.stringify(hit)})`;
  }
  // The log takes new writes, and the repair and the new write are durable.
  const last = s.lastIndex();
  const hs = s.initialState().hardState;
  const term = Math.max(hs.term, s.term(last));
  await s.save({ entries: [crashEntry(last + 1, term)], hardState: { ...hs, term }, sync: true });
  const after = render(observe(s));
  await s.close();
  const again = await WalStorage.open({ dir: DIR, segmentSize: SEGMENT, fs: img.crashNow() });
  const got2 = render(observe(again));
  await again.close();
  if (again.recovery !== undefined) return `a second open cut again: ${JSON.stringify(again.recovery)}`;
  if (got2 !== after) return `a power loss after reopening changed the log: ${got2} vs ${after}`;
  return cut === undefined ? 'ok' : 'cut';
}

/** Crash points for a seed: `count` seeded steps among the script's `total`. */
function crashPoints(seed: number, total: number, count: number): number[] {
  const rng = new SeededRng(seed * 7919 + 1);
  const points = new Set<number>([1, total]);
  while (points.size < Math.min(total, count)) points.add(1 + rng.nextInt(total));
  return [...points].sort((a, b) => a - b);
}

const SEEDS = Array.from({ length: 24 }, (_, i) => i + 1);

/** Runs the script of `seed` with the power cut at `points` crash points; the check's verdicts. */
async function powerLossRuns(seed: number, options: PowerLossOptions, points: number): Promise<string[]> {
  const dry = new PowerLossFs({ ...options, crashAt: undefined });
  const full = await script(seed, dry);
  if (options.ignoreFlush !== true) expect(full.acked).toBe(OPS);
  const verdicts: string[] = [];
  for (const crashAt of crashPoints(seed, dry.steps, points)) {
    const fs = new PowerLossFs({ ...options, crashAt, rng: new SeededRng(seed * 31 + crashAt) });
    const o = await script(seed, fs);
    expect(fs.off, `seed ${seed}: the power went off at step ${crashAt}`).toBe(true);
    const verdict = await checkImage(fs, o, options.unsynced);
    verdicts.push(verdict === 'ok' || verdict === 'cut' ? verdict : `power off at step ${crashAt} of ${dry.steps} (during ${JSON.stringify(fs.interrupted)}): ${verdict}`);
  }
  return verdicts;
}

const passed = (v: string): boolean => v === 'ok' || v === 'cut';

describe.each(['none', 'some'] as const)('WalStorage under power loss (unsynced writes survive: %s)', (unsynced) => {
  test.each(SEEDS)('seed %i: acknowledged writes survive, the log reopens, only torn log writes are cut', async (seed) => {
    const verdicts = await powerLossRuns(seed, { unsynced }, 12);
    expect(verdicts.filter((v) => !passed(v))).toEqual([]);
    if (unsynced === 'none') expect(verdicts).not.toContain('cut');
  });
});

test('torn log writes happen in the model and are cut on reopen', async () => {
  const verdicts = (await Promise.all([1, 2, 3, 4, 5, 6].map((seed) => powerLossRuns(seed, { unsynced: 'some' }, 12)))).flat();
  expect(verdicts.filter((v) => !passed(v))).toEqual([]);
  expect(verdicts).toContain('cut');
});

test('the model: a write is durable after datasync or O_DSYNC, a name after syncDir', async () => {
  const fs = new PowerLossFs();
  const f = await fs.open('/d/a', 'create');
  await f.write(Buffer.from('one'), 0);
  const lostName = fs.crashNow();
  expect(await lostName.readdir('/d')).toEqual([]);

  const fs2 = new PowerLossFs();
  const g = await fs2.open('/d/a', 'create');
  await g.write(Buffer.from('one'), 0);
  await fs2.syncDir('/d');
  const unsyncedData = fs2.crashNow();
  expect(Buffer.from(await (await unsyncedData.open('/d/a', 'read')).read()).toString()).toBe('');

  const fs3 = new PowerLossFs();
  const h = await fs3.open('/d/a', 'create');
  await h.write(Buffer.from('one'), 0);
  await h.datasync();
  await fs3.syncDir('/d');
  const log = await fs3.open('/d/a', 'log');
  await log.write(Buffer.from('two'), 3);
  await fs3.rename('/d/a', '/d/b');
  const img = fs3.crashNow();
  expect(await img.readdir('/d')).toEqual(['a']);
  expect(Buffer.from(await (await img.open('/d/a', 'read')).read()).toString()).toBe('onetwo');
  await expect(fs3.open('/d/b', 'read')).rejects.toMatchObject({ code: 'EIO' });
});

test('the same check finds lost writes on a disk that acknowledges flushes without making anything durable', async () => {
  const verdicts = (await Promise.all([1, 2, 3].map((seed) => powerLossRuns(seed, { ignoreFlush: true }, 4)))).flat();
  expect(verdicts.filter((v) => !passed(v)).length).toBeGreaterThan(0);
});

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
});

async function startOn(fs: PowerLossFs): Promise<{ replica: Replica<number>; ledger: Ledger; net: InProcessNetwork }> {
  const ledger = new Ledger();
  const net = new InProcessNetwork();
  const storage = await WalStorage.open({ dir: DIR, segmentSize: SEGMENT, fs });
  const replica = await Replica.start({ id: 1, peers: [{ id: 1, address: 'inproc://1' }], storage, transport: net.transport(1), stateMachine: ledger, tickMs: 5, snapshotEvery: 40, compactionTail: 5 });
  stops.push(async () => {
    await replica.stop().catch(() => undefined);
    net.close();
  });
  return { replica, ledger, net };
}

/**
 * A single-member replica on WalStorage proposes `n` commands and loses power after proposal
 * `crashAfter`; it restarts on what the disk kept. Returns the acknowledged commands it lost.
 */
async function replicaPowerLoss(n: number, crashAfter: number, ignoreFlush: boolean): Promise<{ lost: string[]; acked: number }> {
  const disk = new PowerLossFs({ ignoreFlush });
  const { replica } = await startOn(disk);
  const acked: string[] = [];
  const pending: Promise<void>[] = [];
  let image: PowerLossFs | undefined;
  for (let i = 0; i < n && image === undefined; i++) {
    const v = `v${i}`;
    pending.push(
      replica.propose(new TextEncoder().encode(v)).then(
        () => {
          if (image === undefined) acked.push(v);
        },
        () => undefined,
      ),
    );
    if (i === crashAfter) image = disk.crashNow(); // the power goes off here
    else if (i % 5 === 4) await Promise.all(pending.slice(-5));
  }
  await Promise.allSettled(pending);
  const { replica: again, ledger } = await startOn(image ?? disk.crashNow());
  await again.read({ timeoutMs: 5000 }); // leader again, and applied up to its commit index
  const have = new Set(ledger.values);
  return { lost: acked.filter((v) => !have.has(v)), acked: acked.length };
}

describe('power loss under a replica on WalStorage', () => {
  test.each([7, 23, 58, 79])('every acknowledged proposal survives a power loss after proposal %i', async (crashAfter) => {
    const r = await replicaPowerLoss(80, crashAfter, false);
    expect(r.acked).toBeGreaterThan(0);
    expect(r.lost).toEqual([]);
  });

  test('the same check catches a disk that acknowledges flushes without making anything durable', async () => {
    const r = await replicaPowerLoss(80, 58, true);
    expect(r.acked).toBeGreaterThan(0);
    expect(r.lost.length).toBeGreaterThan(0);
  });
});
