import { RaftkitError } from '../errors.js';
import { RaftInvariantError } from '../raft/errors.js';
import type { Message } from '../raft/messages.js';
import { checkPeerMessage } from '../raft/peer-message.js';
import type { RaftNode } from '../raft/raft-node.js';

/** What the replica does with a peer message at the door. */
export interface PeerDoorHooks {
  /** The message passed the door and is about to be stepped. */
  accepted(m: Message): void;
  /** The door or the node refused the message; `code` is the refusal's error code. */
  refused(code: string): void;
}

/**
 * Steps one message from a peer into `node` through the door (see `PEER_MESSAGE_RULES`): a
 * malformed message is refused before it touches anything. Peer input the door or the node
 * refuses (a malformed message, a response from a removed peer, a proposal during a transfer,
 * …) is dropped and counted. Returns the error that must stop the replica (a broken invariant,
 * or a failure that is not a raftkit error), or `undefined`.
 */
export function stepPeerMessage(node: RaftNode, m: Message, id: number, maxProposalBytes: number, hooks: PeerDoorHooks): Error | undefined {
  try {
    checkPeerMessage(m, id, { maxProposalBytes });
    hooks.accepted(m);
    node.step(m);
    return undefined;
  } catch (err) {
    hooks.refused(err instanceof RaftkitError ? err.code : 'ERR_UNKNOWN');
    if (err instanceof RaftInvariantError || !(err instanceof RaftkitError)) return err instanceof Error ? err : new Error(String(err));
    return undefined;
  }
}
