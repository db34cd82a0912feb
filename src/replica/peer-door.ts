import { RaftkitError } from '../errors.js';
import { RaftInvariantError } from '../raft/errors.js';
import { MessageType, type Message } from '../raft/messages.js';
import { checkPeerMessage } from '../raft/peer-message.js';
import type { RaftNode } from '../raft/raft-node.js';
import type { Clock } from './clock.js';
import { LaggingVoterRescue } from './lagging-voter.js';
import type { PeerContact } from './peer-contact.js';
import type { PeerRtt } from './peer-rtt.js';

/** What the door needs from the replica. */
export interface PeerDoorOptions {
  /** The node messages are stepped into. */
  readonly node: RaftNode;
  /** This member's id. */
  readonly id: number;
  /** The largest proposal a forwarded `MsgProp` may carry, in bytes. */
  readonly maxProposalBytes: number;
  /** The replica's clock. */
  readonly clock: Clock;
  /** The election timeout, ms (see {@link LaggingVoterRescue}). */
  readonly electionMs: number;
  /** Told about every peer a message passed the door from. */
  readonly contact: PeerContact;
  /** Told about every message that passed the door, for the round-trip times. */
  readonly rtt: PeerRtt;
  /** The door or the node refused a message; `code` is the refusal's error code. */
  refused(code: string): void;
  /** This member asked the leader for leadership, to bring back a lagging voter. */
  rescued(): void;
}

/**
 * The replica's door for peer messages (see `PEER_MESSAGE_RULES`): a malformed message is refused
 * before it touches anything. A message that passes is noted (contact, round-trip times, a vote
 * request for {@link LaggingVoterRescue}) and stepped.
 */
export class PeerDoor {
  readonly #o: PeerDoorOptions;
  readonly #rescue: LaggingVoterRescue;

  /** @param options - see {@link PeerDoorOptions}. */
  constructor(options: PeerDoorOptions) {
    this.#o = options;
    this.#rescue = new LaggingVoterRescue(options.electionMs);
  }

  /**
   * Steps one message from a peer into the node through the door. Peer input the door or the
   * node refuses (a malformed message, a response from a removed peer, a proposal during a
   * transfer, …) is dropped and counted. Returns the error that must stop the replica (a broken
   * invariant, or a failure that is not a raftkit error), or `undefined`.
   */
  step(m: Message): Error | undefined {
    const o = this.#o;
    try {
      checkPeerMessage(m, o.id, { maxProposalBytes: o.maxProposalBytes });
      const now = o.clock.now();
      o.contact.heard(m.from, now);
      o.rtt.received(m, now);
      o.node.step(m);
      // After the step: a vote request this member heeded (it had no active leader) asks for nothing.
      if ((m.type === MessageType.MsgPreVote || m.type === MessageType.MsgVote) && this.#rescue.onVoteRequest(m, o.node.status(), now)) {
        o.node.transferLeader(o.id); // forwarded to the leader
        o.rescued();
      }
      return undefined;
    } catch (err) {
      o.refused(err instanceof RaftkitError ? err.code : 'ERR_UNKNOWN');
      if (err instanceof RaftInvariantError || !(err instanceof RaftkitError)) return err instanceof Error ? err : new Error(String(err));
      return undefined;
    }
  }
}
