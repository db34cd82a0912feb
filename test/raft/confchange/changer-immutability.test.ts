import { expect, test } from 'vitest';
import { Changer, restore } from '../../../src/raft/confchange/index.js';
import { ProgressTracker } from '../../../src/raft/tracker/index.js';
import { SeededRng } from '../../../src/raft/rng.js';
import { ccs, describe as describeTracker } from './helpers.js';

/** Every observable bit of a tracker: config text plus each Progress's fields. */
function snapshot(trk: ProgressTracker): string {
  const fields = [...trk.progress].map(([id, p]) => [
    id,
    p.match,
    p.next,
    p.sentCommit,
    p.state,
    p.pendingSnapshot,
    p.recentActive,
    p.msgAppFlowPaused,
    p.isLearner,
    p.inflights.entries(),
  ]);
  return `${describeTracker(trk)}${JSON.stringify(fields)}`;
}

const OPS = ['v', 'l', 'r', 'u'] as const;

test('the Changer never modifies the tracker it reads, whether it succeeds or fails', () => {
  const rng = new SeededRng(7);
  let succeeded = 0;
  for (let run = 0; run < 300; run++) {
    const trk = new ProgressTracker(4, 100);
    const start = restore(new Changer(trk, 3), {
      voters: [1, 2, 3],
      learners: [4],
      votersOutgoing: run % 2 === 0 ? [] : [1, 2, 5],
      learnersNext: run % 2 === 0 ? [] : [5],
      autoLeave: run % 4 === 1,
    });
    trk.applyConfig(start.config, start.progress);
    // Give the peers some state worth preserving.
    trk.visit((id, pr) => {
      pr.maybeUpdate(id);
      pr.becomeReplicate();
      pr.sentEntries(1, 10);
    });
    const objects = new Map(trk.progress);
    const before = snapshot(trk);
    const changes = Array.from({ length: 1 + rng.nextInt(4) }, () => `${OPS[rng.nextInt(4)]}${1 + rng.nextInt(6)}`).join(' ');
    const c = new Changer(trk, 9);
    for (const op of [() => c.simple(ccs(changes)), () => c.enterJoint(rng.nextInt(2) === 0, ccs(changes)), () => c.leaveJoint()]) {
      try {
        const res = op();
        succeeded++;
        expect(res.config).not.toBe(trk.config);
        expect(res.progress).not.toBe(trk.progress);
        expect(res.config.voters.incoming).not.toBe(trk.config.voters.incoming);
        expect(res.config.learners).not.toBe(trk.config.learners);
      } catch {
        // Refused changes are fine here; only the input matters.
      }
      expect(snapshot(trk), `run=${run} changes=${changes}`).toBe(before);
      for (const [id, pr] of objects) expect(trk.progress.get(id)).toBe(pr);
    }
  }
  expect(succeeded).toBeGreaterThan(100);
});

test('restore does not modify the tracker of the changer it is given', () => {
  const trk = new ProgressTracker(4, 100);
  const res = restore(new Changer(trk, 3), { voters: [1, 2], learners: [3], votersOutgoing: [], learnersNext: [], autoLeave: false });
  expect(trk.progress.size).toBe(0);
  expect(trk.config.voters.incoming.size).toBe(0);
  expect(res.progress.size).toBe(3);
  // Restoring the empty ConfState returns copies, not the tracker's own objects.
  const empty = restore(new Changer(trk, 3), { voters: [], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false });
  expect(empty.config).not.toBe(trk.config);
  expect(empty.progress).not.toBe(trk.progress);
  expect(empty.config.voters.incoming.size).toBe(0);
});
