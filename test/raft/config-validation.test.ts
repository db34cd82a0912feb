import { expect, test } from 'vitest';
import { RaftkitError } from '../../src/errors.js';
import type { RaftConfig } from '../../src/raft/config.js';
import { ConfigInvalidError } from '../../src/raft/errors.js';
import { MemoryStorage } from '../../src/raft/log-storage.js';
import { RaftNode } from '../../src/raft/raft-node.js';

// Config is validated once, up front; each error names the offending field.

const base = (): RaftConfig => ({ id: 1, storage: new MemoryStorage({ voters: [1] }) });

test.each([
  { name: 'id 0', patch: { id: 0 }, wfield: 'id' },
  { name: 'negative id', patch: { id: -1 }, wfield: 'id' },
  { name: 'fractional id', patch: { id: 1.5 }, wfield: 'id' },
  { name: 'NaN id', patch: { id: NaN }, wfield: 'id' },
  { name: 'electionTick equal to heartbeatTick', patch: { electionTick: 2, heartbeatTick: 2 }, wfield: 'electionTick' },
  { name: 'electionTick below heartbeatTick', patch: { electionTick: 2, heartbeatTick: 5 }, wfield: 'electionTick' },
  { name: 'zero heartbeatTick', patch: { heartbeatTick: 0 }, wfield: 'heartbeatTick' },
  { name: 'negative heartbeatTick', patch: { heartbeatTick: -1 }, wfield: 'heartbeatTick' },
  { name: 'NaN electionTick', patch: { electionTick: NaN }, wfield: 'electionTick' },
  { name: 'negative applied', patch: { applied: -1 }, wfield: 'applied' },
  { name: 'zero maxSizePerMsg', patch: { maxSizePerMsg: 0 }, wfield: 'maxSizePerMsg' },
  { name: 'NaN maxSizePerMsg', patch: { maxSizePerMsg: NaN }, wfield: 'maxSizePerMsg' },
  { name: 'negative maxCommittedSizePerReady', patch: { maxCommittedSizePerReady: -5 }, wfield: 'maxCommittedSizePerReady' },
  { name: 'negative maxUncommittedEntriesSize', patch: { maxUncommittedEntriesSize: -5 }, wfield: 'maxUncommittedEntriesSize' },
  { name: 'zero maxInflightMsgs', patch: { maxInflightMsgs: 0 }, wfield: 'maxInflightMsgs' },
  { name: 'NaN maxInflightMsgs', patch: { maxInflightMsgs: NaN }, wfield: 'maxInflightMsgs' },
  { name: 'maxInflightBytes below maxSizePerMsg', patch: { maxInflightBytes: 100, maxSizePerMsg: 1000 }, wfield: 'maxInflightBytes' },
  { name: 'lease-based reads without checkQuorum', patch: { readOnlyOption: 'lease-based' }, wfield: 'checkQuorum' },
  { name: 'unknown readOnlyOption', patch: { readOnlyOption: 'fast' }, wfield: 'readOnlyOption' },
  { name: 'non-boolean checkQuorum', patch: { checkQuorum: 'yes' }, wfield: 'checkQuorum' },
  { name: 'non-boolean preVote', patch: { preVote: 1 }, wfield: 'preVote' },
  { name: 'NaN seed', patch: { seed: NaN }, wfield: 'seed' },
  { name: 'missing storage', patch: { storage: undefined }, wfield: 'storage' },
] as Array<{ name: string; patch: Record<string, unknown>; wfield: string }>)('invalid config ($name) names $wfield', ({ patch, wfield }) => {
  let err: unknown;
  try {
    new RaftNode({ ...base(), ...patch });
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ConfigInvalidError);
  expect(err).toBeInstanceOf(RaftkitError);
  expect((err as ConfigInvalidError).code).toBe('ERR_CONFIG_INVALID');
  expect((err as Error).message).toContain(wfield);
});

test.each([
  { name: 'defaults', patch: {} },
  { name: 'Infinity limits', patch: { maxUncommittedEntriesSize: Infinity, maxInflightBytes: Infinity } },
  { name: 'lease-based with checkQuorum', patch: { readOnlyOption: 'lease-based', checkQuorum: true } },
  { name: 'maxInflightBytes equal to maxSizePerMsg', patch: { maxInflightBytes: 1000, maxSizePerMsg: 1000 } },
] as Array<{ name: string; patch: Partial<RaftConfig> }>)('valid config ($name) is accepted', ({ patch }) => {
  expect(() => new RaftNode({ ...base(), ...patch })).not.toThrow();
});
