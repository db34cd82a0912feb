import { expect, test } from 'vitest';
import { MessageType, MessageTypeName, createMessage } from '../../src/raft/messages.js';
import { StepLocalMsgError, StepPeerNotFoundError } from '../../src/raft/errors.js';
import { electByVotes, flush, newTestNode } from '../helpers/raft-harness.js';

// RaftNode.step refuses input it must never get from the network, with typed errors (etcd's
// RawNode.Step returns ErrStepLocalMsg and ErrStepPeerNotFound).

function codeOf(fn: () => void): string | undefined {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
}

test.each([MessageType.MsgHup, MessageType.MsgBeat, MessageType.MsgUnreachable, MessageType.MsgSnapStatus, MessageType.MsgCheckQuorum])(
  'stepping local message type %s throws ERR_STEP_LOCAL_MSG',
  (type) => {
    const n = newTestNode(1);
    let err: unknown;
    try {
      n.node.step(createMessage({ type, from: 2, to: 1, term: 1 }));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StepLocalMsgError);
    expect((err as StepLocalMsgError).code).toBe('ERR_STEP_LOCAL_MSG');
    expect((err as Error).message).toContain(MessageTypeName[type]);
    expect(n.node.status().raftState).toBe(0); // MsgHup did not start an election
  },
);

test.each([MessageType.MsgAppResp, MessageType.MsgVoteResp, MessageType.MsgHeartbeatResp, MessageType.MsgPreVoteResp, MessageType.MsgReadIndexResp])(
  'a response (%s) from a peer not in the configuration throws ERR_STEP_PEER_NOT_FOUND',
  (type) => {
    const n = newTestNode(1);
    electByVotes(n);
    let err: unknown;
    try {
      n.node.step(createMessage({ type, from: 9, to: 1, term: 1, index: 1 }));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StepPeerNotFoundError);
    expect((err as StepPeerNotFoundError).code).toBe('ERR_STEP_PEER_NOT_FOUND');
    expect(n.node.status().progress?.has(9)).toBe(false);
  },
);

test('a request (not a response) from an unknown peer is stepped normally', () => {
  const n = newTestNode(1);
  expect(codeOf(() => n.node.step(createMessage({ type: MessageType.MsgHeartbeat, from: 9, to: 1, term: 1 })))).toBeUndefined();
  expect(n.node.status().lead).toBe(9);
  expect(flush(n).some((m) => m.type === MessageType.MsgHeartbeatResp && m.to === 9)).toBe(true);
});

test('an unknown message type is refused as ERR_STEP_LOCAL_MSG', () => {
  const n = newTestNode(1);
  const m = createMessage({ type: MessageType.MsgApp, from: 2, to: 1, term: 1 });
  expect(codeOf(() => n.node.step({ ...m, type: 99 as MessageType }))).toBe('ERR_STEP_LOCAL_MSG');
});
