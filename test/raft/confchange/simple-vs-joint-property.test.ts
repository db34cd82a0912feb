import { expect, test } from 'vitest';
import { ConfChangeType, type ConfChangeSingle } from '../../../src/raft/conf-change.js';
import { Changer, restore, type ChangeResult } from '../../../src/raft/confchange/index.js';
import { ProgressTracker } from '../../../src/raft/tracker/index.js';
import { SeededRng } from '../../../src/raft/rng.js';
import { describe as describeTracker } from './helpers.js';

// In the spirit of etcd's confchange/quick_test.go: a sequence of changes applied one at a
// time with simple() must end in the same configuration as the whole sequence applied at
// once through enterJoint() followed by leaveJoint().

const TYPES = [
  ConfChangeType.ConfChangeAddNode,
  ConfChangeType.ConfChangeAddLearnerNode,
  ConfChangeType.ConfChangeRemoveNode,
  ConfChangeType.ConfChangeUpdateNode,
];

function tracker(): ProgressTracker {
  return new ProgressTracker(10, Infinity);
}

function install(trk: ProgressTracker, r: ChangeResult): ProgressTracker {
  trk.applyConfig(r.config, r.progress);
  return trk;
}

test.each([1, 2, 3, 4, 5])('simple steps and one joint step agree, seed %i', (seed) => {
  const rng = new SeededRng(seed);
  const LAST = 10;
  let compared = 0;
  for (let run = 0; run < 400; run++) {
    const voters = Array.from({ length: 1 + rng.nextInt(5) }, (_, i) => i + 1);
    const learners = rng.nextInt(2) === 0 ? [9] : [];
    const startCs = { voters, learners, votersOutgoing: [], learnersNext: [], autoLeave: false };
    const changes: ConfChangeSingle[] = Array.from({ length: 1 + rng.nextInt(6) }, () => ({
      type: TYPES[rng.nextInt(TYPES.length)]!,
      nodeId: 1 + rng.nextInt(10),
    }));

    let one = install(tracker(), restore(new Changer(tracker(), LAST), startCs));
    let ok = true;
    for (const cc of changes) {
      try {
        one = install(tracker(), new Changer(one, LAST).simple([cc]));
      } catch {
        ok = false; // e.g. removed all voters; such sequences are not comparable
        break;
      }
    }
    if (!ok) continue;

    const start = install(tracker(), restore(new Changer(tracker(), LAST), startCs));
    const joint = install(tracker(), new Changer(start, LAST).enterJoint(false, changes));
    const left = install(tracker(), new Changer(joint, LAST).leaveJoint());
    expect(describeTracker(left), `seed=${seed} run=${run} changes=${JSON.stringify(changes)}`).toBe(describeTracker(one));
    compared++;
  }
  expect(compared).toBeGreaterThan(100);
});
