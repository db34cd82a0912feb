import { ConfChangeType, type ConfChangeSingle } from '../../../src/raft/conf-change.js';
import { Changer, type ChangeResult } from '../../../src/raft/confchange/index.js';
import { ProgressTracker, describeProgressMap, describeTrackerConfig } from '../../../src/raft/tracker/index.js';

const TYPES: Record<string, ConfChangeType> = {
  v: ConfChangeType.ConfChangeAddNode,
  l: ConfChangeType.ConfChangeAddLearnerNode,
  r: ConfChangeType.ConfChangeRemoveNode,
  u: ConfChangeType.ConfChangeUpdateNode,
};

/** Parses etcd's testdata notation: `v1 l2 r3 u4` = add voter 1, learner 2, remove 3, update 4. */
export function ccs(s: string): ConfChangeSingle[] {
  return s
    .split(/\s+/)
    .filter((t) => t !== '')
    .map((t) => {
      const type = TYPES[t[0]!];
      if (type === undefined) throw new Error(`bad change ${t}`);
      return { type, nodeId: Number(t.slice(1)) };
    });
}

/** The config line followed by one line per progress, like etcd's confchange testdata output. */
export function describe(trk: Pick<ProgressTracker, 'config' | 'progress'>): string {
  return `${describeTrackerConfig(trk.config)}\n${describeProgressMap(trk.progress)}`;
}

/**
 * A scripted session over one tracker, in the style of etcd's confchange datadriven tests:
 * each command runs against a Changer whose last index is the command's number (1, 2, …),
 * installs the result on success, and returns the new state or the error message.
 */
export class Session {
  readonly trk = new ProgressTracker(10, Infinity);
  private index = 0;

  simple(s: string): string {
    return this.run((c) => c.simple(ccs(s)));
  }

  enterJoint(autoLeave: boolean, s: string): string {
    return this.run((c) => c.enterJoint(autoLeave, ccs(s)));
  }

  leaveJoint(): string {
    return this.run((c) => c.leaveJoint());
  }

  private run(op: (c: Changer) => ChangeResult): string {
    this.index++;
    let res: ChangeResult;
    try {
      res = op(new Changer(this.trk, this.index));
    } catch (err) {
      return (err as Error).message;
    }
    this.trk.applyConfig(res.config, res.progress);
    return describe(this.trk);
  }
}

/** Joins lines with newlines and a trailing newline, to write expected outputs readably. */
export function lines(...ls: string[]): string {
  return `${ls.join('\n')}\n`;
}
