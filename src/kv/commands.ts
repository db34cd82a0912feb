import { RaftkitError } from '../errors.js';
import { BINARY_TAG, OPS as BINARY_OPS, decodeBinaryCommand, encodeBinaryCommand, isNewerBinaryCommand } from './command-binary.js';
import { UnknownCommandError } from './errors.js';
import { unpack } from './record.js';
import type { CompactionRequest, DeleteRangeRequest, PutRequest, TxnRequest } from './types.js';

/** The first byte of a KV command written by earlier builds: version 1, then a msgpack body. */
const MSGPACK_COMMAND_FORMAT = 1;

/** A KV command as proposed through Raft (one of etcd's `InternalRaftRequest` kinds). */
export type KvCommand =
  | {
      /** A put. */
      op: 'put';
      /** The request. */
      req: PutRequest;
    }
  | {
      /** A delete. */
      op: 'deleteRange';
      /** The request. */
      req: DeleteRangeRequest;
    }
  | {
      /** A txn. */
      op: 'txn';
      /** The request. */
      req: TxnRequest;
    }
  | {
      /** A compaction. */
      op: 'compact';
      /** The request. */
      req: CompactionRequest;
    }
  | {
      /** A lease grant. */
      op: 'leaseGrant';
      /** The lease id (chosen before proposing, so every member grants the same). */
      id: bigint;
      /** The requested TTL in seconds. */
      ttl: number;
    }
  | {
      /** A lease revoke (by a client, or by the leader when the lease expired). */
      op: 'leaseRevoke';
      /** The lease id. */
      id: bigint;
    }
  | {
      /** Raises or clears an alarm (etcd's `Alarm` with ACTIVATE/DEACTIVATE). */
      op: 'alarm';
      /** Raise or clear. */
      action: 'activate' | 'deactivate';
      /** The member the alarm is about (0n with deactivate: every member). */
      memberId: bigint;
      /** The alarm kind (`AlarmType`; 0 with deactivate: every kind). */
      alarm: 0 | 1 | 2;
    }
  | {
      /** A keep-alive: renews a lease (from any member, through Raft). */
      op: 'leaseKeepAlive';
      /** The lease id. */
      id: bigint;
    }
  | {
      /** Publishes a member's name and client URLs (etcd's member attributes). */
      op: 'memberAttrs';
      /** The member. */
      memberId: bigint;
      /** Its name. */
      name: string;
      /** Its client URLs. */
      clientUrls: string[];
    }
  | MemberRequestCommand
  | MemberResultCommand
  | HashCheckCommand
  | HashVerdictCommand
  | {
      /** Lease checkpoints (the leader records remaining TTLs). */
      op: 'leaseCheckpoint';
      /** The leases and their remaining TTLs in seconds. */
      checkpoints: {
        /** The lease id. */
        id: bigint;
        /** The remaining TTL in seconds. */
        remainingTtl: number;
      }[];
    };

/**
 * A membership change asked on a follower: the member leading in the entry's term makes it and
 * proposes its {@link MemberResultCommand} (etcd forwards member calls to the leader).
 */
export interface MemberRequestCommand {
  /** The command kind. */
  op: 'memberRequest';
  /** Matches the result to the request. */
  reqId: string;
  /** The change. */
  change: MemberChangeRequest;
}

/** The outcome of a {@link MemberRequestCommand}, proposed by the leader that handled it. */
export interface MemberResultCommand {
  /** The command kind. */
  op: 'memberResult';
  /** The request's id. */
  reqId: string;
  /** The error code when the change failed (`''` when it was made). */
  code: string;
  /** The error message when the change failed. */
  message: string;
}

/**
 * One member's HashKV, for every other member to compare with its own at the same revision
 * (etcd's corruption check, which etcd asks of its peers over their peer URLs, made here through
 * the log so that it needs nothing from the transport). Each member that applies it answers with a
 * {@link HashVerdictCommand}.
 */
export interface HashCheckCommand {
  /** The command kind. */
  op: 'hashCheck';
  /** Matches the verdicts to the check. */
  checkId: string;
  /** The member whose hash this is. */
  memberId: bigint;
  /** The revision hashed. */
  revision: number;
  /** The member's compacted revision when it hashed (-1 before any compaction). */
  compactRevision: number;
  /** The hash. */
  hash: number;
  /** When the checking member stops waiting (ms since the epoch): a member applying the check later does not answer it. */
  deadline: number;
}

/** What a member found when it compared its hash with a {@link HashCheckCommand}'s. */
export type HashVerdict = 'match' | 'mismatch' | 'skipped';

/** A member's answer to a {@link HashCheckCommand}. */
export interface HashVerdictCommand {
  /** The command kind. */
  op: 'hashVerdict';
  /** The check answered. */
  checkId: string;
  /** The answering member. */
  memberId: bigint;
  /** `skipped` when the member could not hash that revision under the same compaction. */
  verdict: HashVerdict;
  /** The answering member's hash (0 when skipped). */
  hash: number;
  /** The answering member's compacted revision. */
  compactRevision: number;
}

/**
 * A fresh id for a command whose answer comes back through the log (a forwarded membership
 * request's `reqId`, a corruption check's `checkId`): 128 random bits, as hex.
 */
export function logRequestId(): string {
  return Array.from(globalThis.crypto.getRandomValues(new Uint32Array(4)), (x) => x.toString(16)).join('');
}

/** A membership change forwarded through the log (see {@link MemberRequestCommand}). */
export interface MemberChangeRequest {
  /** What to do. */
  action: 'add' | 'remove' | 'promote' | 'update';
  /** The member. */
  id: number;
  /** Its peer address (add, update). */
  address?: string;
  /** Add as a learner. */
  learner?: boolean;
}

/** A command's bytes could not be decoded. Code `ERR_KV_BAD_COMMAND`. */
export class BadCommandError extends RaftkitError {
  /**
   * @param message - what is wrong.
   * @param options - optional extra detail.
   * @param options.cause - the lower-level error.
   */
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_KV_BAD_COMMAND', message, options);
  }
}

const OPS: ReadonlySet<string> = new Set(BINARY_OPS);

/**
 * Encodes a command in the binary layout of `command-binary.ts` (the tag byte 0xc1, an op
 * code, the fields). The result is a view of a shared buffer that is never written again.
 *
 * @throws {@link BadCommandError} when the command holds a value the layout refuses (a
 *   non-finite number, a field of the wrong type, an unknown op or enum value, txns nested
 *   deeper than 64), so that a command that would not decode is never proposed.
 */
export function encodeCommand(c: KvCommand): Uint8Array {
  try {
    return encodeBinaryCommand(c);
  } catch (err) {
    throw new BadCommandError(`unencodable KV command: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/**
 * Decodes {@link encodeCommand}'s bytes, and the version 1 (msgpack) commands earlier builds
 * wrote. Byte fields are views into a private copy of `bytes`.
 *
 * @throws {@link BadCommandError}, and nothing else, when they are not well-formed.
 */
export function decodeCommand(bytes: Uint8Array): KvCommand {
  const tag = bytes.byteLength === 0 ? undefined : bytes[0];
  try {
    if (tag === BINARY_TAG) return decodeBinaryCommand(bytes);
    if (tag === MSGPACK_COMMAND_FORMAT && bytes.byteLength >= 2) return decodeMsgpackCommand(bytes);
  } catch (err) {
    throw err instanceof BadCommandError ? err : new BadCommandError(`malformed KV command: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  throw new BadCommandError(`unknown KV command format ${String(tag)}`);
}

/**
 * {@link decodeCommand} for a committed entry: a command of a kind a newer build added is
 * returned as an {@link UnknownCommandError}, for the state machine to apply as a no-op, so that
 * a member not yet upgraded keeps applying while newer members propose new kinds.
 *
 * @throws {@link BadCommandError} when the bytes are not well-formed.
 */
export function decodeCommittedCommand(bytes: Uint8Array): KvCommand | UnknownCommandError {
  return isNewerBinaryCommand(bytes) ? new UnknownCommandError(bytes[1]!) : decodeCommand(bytes);
}

function decodeMsgpackCommand(bytes: Uint8Array): KvCommand {
  const c = unpack(bytes.subarray(1)) as { op?: unknown } | null;
  if (c === null || typeof c !== 'object' || typeof c.op !== 'string' || !OPS.has(c.op)) throw new BadCommandError('malformed KV command');
  return c as KvCommand;
}
