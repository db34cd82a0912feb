import type { Entry, Snapshot } from './entry.js';

/**
 * The message types of the Raft protocol, with exactly etcd's member names and numeric values.
 *
 * Local messages (`MsgHup`, `MsgBeat`, `MsgUnreachable`, `MsgSnapStatus`, `MsgCheckQuorum`)
 * are generated inside a node and never travel on the wire.
 */
export const MessageType = {
  /** Local: start an election. */
  MsgHup: 0,
  /** Local: the leader should send heartbeats. */
  MsgBeat: 1,
  /** A proposal of new entries, local or forwarded by a follower to the leader. */
  MsgProp: 2,
  /** Append entries (leader → follower). */
  MsgApp: 3,
  /** Response to `MsgApp` (follower → leader). */
  MsgAppResp: 4,
  /** Request vote (candidate → all). */
  MsgVote: 5,
  /** Response to `MsgVote`. */
  MsgVoteResp: 6,
  /** Install snapshot (leader → follower). */
  MsgSnap: 7,
  /** Heartbeat (leader → follower). */
  MsgHeartbeat: 8,
  /** Response to `MsgHeartbeat`. */
  MsgHeartbeatResp: 9,
  /** Local: a peer was unreachable. */
  MsgUnreachable: 10,
  /** Local: the result of sending a snapshot to a peer. */
  MsgSnapStatus: 11,
  /** Local: the leader should check that a quorum is still active. */
  MsgCheckQuorum: 12,
  /** Request a leadership transfer to `from`. */
  MsgTransferLeader: 13,
  /** Tells the transfer target to campaign immediately. */
  MsgTimeoutNow: 14,
  /** Request a read index (linearizable read). */
  MsgReadIndex: 15,
  /** Response to `MsgReadIndex`. */
  MsgReadIndexResp: 16,
  /** PreVote request (thesis §9.6). */
  MsgPreVote: 17,
  /** Response to `MsgPreVote`. */
  MsgPreVoteResp: 18,
  /** Tell a follower to forget its leader (used before it starts a new election). */
  MsgForgetLeader: 23,
} as const;

/** One of the {@link MessageType} values. */
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

/**
 * A Raft message. All numeric fields are always present (0 when unused), as in etcd's
 * `raftpb.Message`; use {@link createMessage} to build one.
 */
export interface Message {
  /** The message type. */
  type: MessageType;
  /** The recipient's node id. */
  to: number;
  /** The sender's node id. */
  from: number;
  /** The sender's term; 0 for local messages and proposals. */
  term: number;
  /** For `MsgApp`: the term of the entry at `index`; for votes: the candidate's last log term. */
  logTerm: number;
  /** For `MsgApp`: the index just before `entries`; for votes: the candidate's last index; for responses: the acknowledged index. */
  index: number;
  /** The entries carried (`MsgApp`, `MsgProp`, `MsgReadIndex` context entry). */
  entries: Entry[];
  /** The sender's commit index. */
  commit: number;
  /** The snapshot carried by `MsgSnap`. */
  snapshot?: Snapshot | undefined;
  /** Whether a response rejects the request. */
  reject: boolean;
  /** For a rejected `MsgAppResp`: a hint of where the follower's log may match. */
  rejectHint: number;
  /** Opaque context: the read request context, or a campaign type for transfer elections. */
  context?: Uint8Array | undefined;
}

/** The fields of a {@link Message} for {@link createMessage}: every field but `type` may be omitted. */
export interface MessageInit extends Partial<Message> {
  /** The message type. */
  type: MessageType;
}

/**
 * Builds a {@link Message} with every field present and defaults of 0, `false` and `[]`.
 * Every message built here has the same shape, which keeps the hot path monomorphic.
 */
export function createMessage(init: MessageInit): Message {
  return {
    type: init.type,
    to: init.to ?? 0,
    from: init.from ?? 0,
    term: init.term ?? 0,
    logTerm: init.logTerm ?? 0,
    index: init.index ?? 0,
    entries: init.entries ?? [],
    commit: init.commit ?? 0,
    snapshot: init.snapshot,
    reject: init.reject ?? false,
    rejectHint: init.rejectHint ?? 0,
    context: init.context,
  };
}

/** The names of the message types, indexed by value (for logs and descriptions). */
export const MessageTypeName: Readonly<Record<MessageType, string>> = {
  0: 'MsgHup',
  1: 'MsgBeat',
  2: 'MsgProp',
  3: 'MsgApp',
  4: 'MsgAppResp',
  5: 'MsgVote',
  6: 'MsgVoteResp',
  7: 'MsgSnap',
  8: 'MsgHeartbeat',
  9: 'MsgHeartbeatResp',
  10: 'MsgUnreachable',
  11: 'MsgSnapStatus',
  12: 'MsgCheckQuorum',
  13: 'MsgTransferLeader',
  14: 'MsgTimeoutNow',
  15: 'MsgReadIndex',
  16: 'MsgReadIndexResp',
  17: 'MsgPreVote',
  18: 'MsgPreVoteResp',
  23: 'MsgForgetLeader',
};

const LOCAL: Readonly<Record<MessageType, boolean>> = {
  0: true,
  1: true,
  2: false,
  3: false,
  4: false,
  5: false,
  6: false,
  7: false,
  8: false,
  9: false,
  10: true,
  11: true,
  12: true,
  13: false,
  14: false,
  15: false,
  16: false,
  17: false,
  18: false,
  23: false,
};

const RESPONSE: Readonly<Record<MessageType, boolean>> = {
  0: false,
  1: false,
  2: false,
  3: false,
  4: true,
  5: false,
  6: true,
  7: false,
  8: false,
  9: true,
  10: true,
  11: false,
  12: false,
  13: false,
  14: false,
  15: false,
  16: true,
  17: false,
  18: true,
  23: false,
};

/** Whether `t` is a valid {@link MessageType} value. */
export function isMessageType(t: unknown): t is MessageType {
  return typeof t === 'number' && Object.prototype.hasOwnProperty.call(MessageTypeName, t);
}

/** Whether the message type is generated locally and must never be stepped from the network. */
export function isLocalMessage(t: MessageType): boolean {
  return LOCAL[t];
}

/** Whether the message type is a response to an earlier request. */
export function isResponseMessage(t: MessageType): boolean {
  return RESPONSE[t];
}

/** The response type for a vote request type (`MsgVote` → `MsgVoteResp`, `MsgPreVote` → `MsgPreVoteResp`). */
export function voteRespMsgType(t: MessageType): MessageType {
  switch (t) {
    case MessageType.MsgVote:
      return MessageType.MsgVoteResp;
    case MessageType.MsgPreVote:
      return MessageType.MsgPreVoteResp;
    default:
      throw new TypeError(`not a vote message: ${MessageTypeName[t]}`);
  }
}
