import { ConfigInvalidError } from './errors.js';
import { EMPTY_BYTES } from './entry.js';

/** The kinds of single membership change. Values match etcd's `raftpb.ConfChangeType`. */
export const ConfChangeType = {
  /** Add a voter (or promote a learner to voter). */
  ConfChangeAddNode: 0,
  /** Remove a voter or learner. */
  ConfChangeRemoveNode: 1,
  /** No change to the configuration; carried through for the application's use. */
  ConfChangeUpdateNode: 2,
  /** Add a learner (or demote a voter to learner). */
  ConfChangeAddLearnerNode: 3,
} as const;

/** One of the {@link ConfChangeType} values. */
export type ConfChangeType = (typeof ConfChangeType)[keyof typeof ConfChangeType];

/**
 * How a {@link ConfChangeV2} moves between configurations. Values match etcd's
 * `raftpb.ConfChangeTransition`.
 */
export const ConfChangeTransition = {
  /**
   * Use a single step when the change allows it (at most one voter changes), otherwise enter
   * a joint configuration that is left automatically once committed.
   */
  ConfChangeTransitionAuto: 0,
  /** Always use joint consensus, and leave it automatically. */
  ConfChangeTransitionJointImplicit: 1,
  /** Always use joint consensus; the application leaves it by proposing an empty {@link ConfChangeV2}. */
  ConfChangeTransitionJointExplicit: 2,
} as const;

/** One of the {@link ConfChangeTransition} values. */
export type ConfChangeTransition = (typeof ConfChangeTransition)[keyof typeof ConfChangeTransition];

/** A single-node membership change (etcd's `raftpb.ConfChange`). */
export interface ConfChange {
  /** What to do with the node. */
  type: ConfChangeType;
  /** The node the change is about. */
  nodeId: number;
  /** Opaque application data carried with the change (for example the node's address). */
  context?: Uint8Array | undefined;
}

/** One change inside a {@link ConfChangeV2}. */
export interface ConfChangeSingle {
  /** What to do with the node. */
  type: ConfChangeType;
  /** The node the change is about. */
  nodeId: number;
}

/**
 * A membership change that may change several nodes at once, through joint consensus
 * (etcd's `raftpb.ConfChangeV2`). An empty `changes` list means "leave the joint configuration".
 */
export interface ConfChangeV2 {
  /** How to transition to the new configuration. */
  transition: ConfChangeTransition;
  /** The changes to make, in order. */
  changes: ConfChangeSingle[];
  /** Opaque application data carried with the change. */
  context?: Uint8Array | undefined;
}

/** Either kind of conf change. */
export type AnyConfChange = ConfChange | ConfChangeV2;

/** Whether `cc` is a {@link ConfChangeV2}. */
export function isConfChangeV2(cc: AnyConfChange): cc is ConfChangeV2 {
  return (cc as ConfChangeV2).changes !== undefined;
}

/** Converts any conf change to the V2 form (a V1 change becomes a single-change V2). */
export function asV2(cc: AnyConfChange): ConfChangeV2 {
  if (isConfChangeV2(cc)) return cc;
  return {
    transition: ConfChangeTransition.ConfChangeTransitionAuto,
    changes: [{ type: cc.type, nodeId: cc.nodeId }],
    context: cc.context,
  };
}

/** How a change enters a joint configuration. */
export interface JointTransition {
  /** Whether the joint configuration is left automatically once the change is applied. */
  autoLeave: boolean;
}

/**
 * Whether the change should enter a joint configuration, and if so whether that joint
 * configuration is left automatically. Returns `undefined` when a single step suffices.
 */
export function enterJoint(cc: ConfChangeV2): JointTransition | undefined {
  if (
    cc.transition !== ConfChangeTransition.ConfChangeTransitionAuto ||
    cc.changes.length > 1
  ) {
    switch (cc.transition) {
      case ConfChangeTransition.ConfChangeTransitionAuto:
      case ConfChangeTransition.ConfChangeTransitionJointImplicit:
        return { autoLeave: true };
      case ConfChangeTransition.ConfChangeTransitionJointExplicit:
        return { autoLeave: false };
    }
  }
  return undefined;
}

/** Whether the change is the empty V2 change that leaves a joint configuration. */
export function leaveJoint(cc: ConfChangeV2): boolean {
  return (
    cc.changes.length === 0 &&
    cc.transition === ConfChangeTransition.ConfChangeTransitionAuto &&
    (cc.context === undefined || cc.context.length === 0)
  );
}

const TAG_V1 = 0x01;
const TAG_V2 = 0x02;

function isConfChangeType(t: number): t is ConfChangeType {
  return t >= 0 && t <= 3;
}

/**
 * Encodes a {@link ConfChange} into the bytes carried by an `EntryConfChange` entry.
 *
 * Layout: tag `0x01`, type (u8), nodeId (f64 BE), context length (u32 BE), context bytes.
 */
export function encodeConfChange(cc: ConfChange): Uint8Array {
  const ctx = cc.context ?? EMPTY_BYTES;
  const out = new Uint8Array(1 + 1 + 8 + 4 + ctx.length);
  const dv = new DataView(out.buffer);
  out[0] = TAG_V1;
  out[1] = cc.type;
  dv.setFloat64(2, cc.nodeId);
  dv.setUint32(10, ctx.length);
  out.set(ctx, 14);
  return out;
}

/**
 * Encodes a {@link ConfChangeV2} into the bytes carried by an `EntryConfChangeV2` entry.
 *
 * Layout: tag `0x02`, transition (u8), count (u32 BE), then per change type (u8) and
 * nodeId (f64 BE), then context length (u32 BE) and context bytes.
 */
export function encodeConfChangeV2(cc: ConfChangeV2): Uint8Array {
  const ctx = cc.context ?? EMPTY_BYTES;
  const out = new Uint8Array(1 + 1 + 4 + cc.changes.length * 9 + 4 + ctx.length);
  const dv = new DataView(out.buffer);
  out[0] = TAG_V2;
  out[1] = cc.transition;
  dv.setUint32(2, cc.changes.length);
  let off = 6;
  for (const c of cc.changes) {
    out[off] = c.type;
    dv.setFloat64(off + 1, c.nodeId);
    off += 9;
  }
  dv.setUint32(off, ctx.length);
  out.set(ctx, off + 4);
  return out;
}

function malformed(what: string): ConfigInvalidError {
  return new ConfigInvalidError(`malformed conf change: ${what}`);
}

function readNodeId(dv: DataView, off: number): number {
  const id = dv.getFloat64(off);
  if (!Number.isSafeInteger(id) || id < 0) throw malformed(`node id ${id} is not a non-negative integer`);
  return id;
}

function readContext(data: Uint8Array, dv: DataView, off: number): Uint8Array | undefined {
  if (data.length < off + 4) throw malformed('truncated context length');
  const len = dv.getUint32(off);
  if (data.length !== off + 4 + len) throw malformed('context length does not match the data');
  return len === 0 ? undefined : data.slice(off + 4, off + 4 + len);
}

/**
 * Decodes the data of an `EntryConfChange` entry.
 *
 * @throws {@link ConfigInvalidError} when the bytes are not a valid encoded {@link ConfChange}.
 */
export function decodeConfChange(data: Uint8Array): ConfChange {
  if (data.length < 14 || data[0] !== TAG_V1) throw malformed('not a ConfChange');
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const type = data[1]!;
  if (!isConfChangeType(type)) throw malformed(`unknown change type ${type}`);
  const nodeId = readNodeId(dv, 2);
  const context = readContext(data, dv, 10);
  return context === undefined ? { type, nodeId } : { type, nodeId, context };
}

/**
 * Decodes the data of an `EntryConfChangeV2` entry. Empty data decodes to the empty change
 * (leave the joint configuration).
 *
 * @throws {@link ConfigInvalidError} when the bytes are not a valid encoded {@link ConfChangeV2}.
 */
export function decodeConfChangeV2(data: Uint8Array): ConfChangeV2 {
  // Empty data is the empty ConfChangeV2 that leaves a joint configuration (as in etcd,
  // where a nil payload unmarshals to the zero value).
  if (data.length === 0) return { transition: ConfChangeTransition.ConfChangeTransitionAuto, changes: [] };
  if (data.length < 10 || data[0] !== TAG_V2) throw malformed('not a ConfChangeV2');
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const transition = data[1]!;
  if (transition > 2) throw malformed(`unknown transition ${transition}`);
  const count = dv.getUint32(2);
  if (data.length < 6 + count * 9 + 4) throw malformed('truncated changes');
  const changes: ConfChangeSingle[] = [];
  let off = 6;
  for (let i = 0; i < count; i++) {
    const type = data[off]!;
    if (!isConfChangeType(type)) throw malformed(`unknown change type ${type}`);
    changes.push({ type, nodeId: readNodeId(dv, off + 1) });
    off += 9;
  }
  const context = readContext(data, dv, off);
  const cc: ConfChangeV2 = { transition: transition as ConfChangeTransition, changes };
  if (context !== undefined) cc.context = context;
  return cc;
}
