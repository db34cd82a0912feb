/**
 * Power loss: SIGKILL cannot show a missing fsync (the page cache survives the process), so
 * this test models the disk itself. `PowerLossLevel` is a memory-level database that journals
 * every write reaching it; a write made with `sync: true` makes itself and every earlier write
 * durable (as a LevelDB log sync does). `crashImage()` is what a machine would find after
 * losing power: only the durable prefix of the journal, replayed into a fresh database.
 *
 * A single-member replica runs on the real `LevelStorage` code path over it; every
 * acknowledged proposal must survive a crash at any point. The same check, run on a disk that
 * acknowledges writes without syncing them, catches the loss, which shows the check works.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { MemoryStorage } from '../../src/raft/log-storage.js';
import { Replica } from '../../src/replica/replica.js';
import { Ledger } from './ledger.js';
import { LevelStorage, type AnyLevel } from '../../src/storage/level-storage.js';
import { InProcessNetwork } from '../../src/transport/in-process.js';
import { PowerLossLevel } from './power-loss-level.js';

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
});

async function startOn(db: AnyLevel, net: InProcessNetwork): Promise<{ replica: Replica<number>; ledger: Ledger }> {
  const ledger = new Ledger();
  const storage = new LevelStorage({ db });
  const replica = await Replica.start({ id: 1, peers: [{ id: 1, address: 'inproc://1' }], storage, transport: net.transport(1), stateMachine: ledger, tickMs: 5, snapshotEvery: 40, compactionTail: 5 });
  stops.push(() => replica.stop());
  return { replica, ledger };
}

/**
 * Proposes `n` commands, crashes at a seeded point (power loss: the unsynced suffix of the
 * journal is gone), restarts on the crash image, and returns the acknowledged commands that
 * the restarted replica does not have.
 */
async function ackedWritesLostAtCrash(ignoreSync: boolean, n: number, crashAfter: number): Promise<{ lost: string[]; acked: number; synced: number; unsynced: number }> {
  const disk = new PowerLossLevel(ignoreSync);
  const net = new InProcessNetwork();
  const { replica } = await startOn(disk, net);
  const acked: string[] = [];
  const pending: Promise<void>[] = [];
  let image: Promise<PowerLossLevel> | undefined;
  for (let i = 0; i < n; i++) {
    const v = `v${i}`;
    pending.push(replica.propose(new TextEncoder().encode(v)).then(() => {
      if (image === undefined) acked.push(v);
    }, () => undefined));
    if (i === crashAfter) {
      await Promise.race([Promise.all(pending), new Promise((r) => setImmediate(r))]);
      image = disk.crashImage(); // the power goes off here: the journal is cut synchronously
    }
    if (i % 5 === 4) await Promise.all(pending.slice(-5));
  }
  await Promise.allSettled(pending);
  image ??= disk.crashImage();
  const crashed = await image;
  await replica.stop();
  net.close();

  const net2 = new InProcessNetwork();
  const { replica: again, ledger } = await startOn(crashed, net2);
  await again.read({ timeoutMs: 5000 }); // a leader again, and applied up to its commit index
  const have = new Set(ledger.values);
  const lost = acked.filter((v) => !have.has(v));
  await again.stop();
  net2.close();
  return { lost, acked: acked.length, synced: disk.syncedWrites, unsynced: disk.unsyncedWrites };
}

describe('power loss on the real LevelStorage path', () => {
  test.each([7, 23, 58])('every acknowledged proposal survives a power loss after proposal %i', async (crashAfter) => {
    const r = await ackedWritesLostAtCrash(false, 80, crashAfter);
    console.log(`power loss after proposal ${crashAfter}: ${r.acked} acknowledged, ${r.lost.length} lost; ${r.synced} synced and ${r.unsynced} unsynced writes reached the disk`);
    expect(r.acked).toBeGreaterThan(0);
    expect(r.lost).toEqual([]);
  });

  test('the same check catches saves acknowledged without sync (a disk that ignores sync)', async () => {
    const r = await ackedWritesLostAtCrash(true, 80, 58);
    console.log(`lying disk: ${r.acked} acknowledged, ${r.lost.length} lost (${r.lost.slice(0, 5).join(', ')}…)`);
    expect(r.acked).toBeGreaterThan(0);
    expect(r.lost.length).toBeGreaterThan(0);
  });

  test('the model: unsynced writes are lost, synced ones and everything before them survive', async () => {
    const db = new PowerLossLevel();
    await db.open();
    const s = new LevelStorage({ db });
    await s.open();
    await s.save({ entries: [{ term: 1, index: 1, type: 0, data: new Uint8Array(1) }], hardState: { term: 1, vote: 1, commit: 0 }, sync: true });
    await s.save({ entries: [{ term: 1, index: 2, type: 0, data: new Uint8Array(1) }], sync: false });
    const afterUnsynced = await db.crashImage();
    await s.save({ entries: [{ term: 1, index: 3, type: 0, data: new Uint8Array(1) }], sync: true });
    const afterSynced = await db.crashImage();
    await s.close();
    const a = await LevelStorage.open({ db: afterUnsynced });
    const b = await LevelStorage.open({ db: afterSynced });
    expect(a.lastIndex()).toBe(1);
    expect(b.lastIndex()).toBe(3);
    await a.close();
    await b.close();
    expect(new MemoryStorage().lastIndex()).toBe(0);
  });
});
