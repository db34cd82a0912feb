import {
  ConfChangeType,
  ConfChangeTransition,
  type ConfChange,
  type ConfChangeSingle,
  type ConfChangeV2,
} from '../raft/conf-change.js';
import type { BinaryReader } from './binary.js';
import { beginRecord, decodeRecord, RecordKind, writer } from './envelope.js';
import { readFlat, readOptionalBytes, readSmallUint, readTuple, readUint } from './validate.js';

// Version 2 body layouts (binary, see binary.ts; context = u8 0, or u8 1 ‖ u32 length ‖ bytes):
//   ConfChange   type u8 ‖ nodeId u64 ‖ context
//   ConfChangeV2 transition u8 ‖ change count u32 ‖ (type u8 ‖ nodeId u64)* ‖ context
// Version 1 body layouts (read only), all msgpack arrays:
//   ConfChange   [type, nodeId, context | nil]
//   ConfChangeV2 [transition, [type, nodeId, type, nodeId, …], context | nil]
//
// These are the codec's versioned records; the bytes carried inside `EntryConfChange*`
// entries are still the ones of raft/conf-change.ts's `encodeConfChange`.

const MAX_CHANGE_TYPE = ConfChangeType.ConfChangeAddLearnerNode;
const MAX_TRANSITION = ConfChangeTransition.ConfChangeTransitionJointExplicit;

function contextSize(context: Uint8Array | undefined): number {
  return context === undefined ? 1 : 5 + context.length;
}

function writeContext(context: Uint8Array | undefined): void {
  if (context === undefined) {
    writer.u8(0);
  } else {
    writer.u8(1);
    writer.bytes(context);
  }
}

function readContext(r: BinaryReader, field: string): Uint8Array | undefined {
  if (r.enumU8(1, field) === 0) return undefined;
  r.own();
  return r.bytes(field);
}

/** Encodes a {@link ConfChange} as a versioned codec record. */
export function encodeConfChangeRecord(cc: ConfChange): Uint8Array {
  beginRecord(RecordKind.ConfChange, 9 + contextSize(cc.context));
  writer.u8(cc.type);
  writer.u64(cc.nodeId);
  writeContext(cc.context);
  return writer.end();
}

function readBinaryConfChange(r: BinaryReader): ConfChange {
  const type = r.enumU8(MAX_CHANGE_TYPE, 'ConfChange.type') as ConfChangeType;
  const nodeId = r.u64('ConfChange.nodeId');
  return { type, nodeId, context: readContext(r, 'ConfChange.context') };
}

/**
 * Decodes a record written by {@link encodeConfChangeRecord}. The result always has a
 * `context` property (`undefined` when there was none).
 *
 * @throws `CodecError` when the bytes are not a valid ConfChange record.
 */
export function decodeConfChangeRecord(bytes: Uint8Array): ConfChange {
  return decodeRecord(bytes, RecordKind.ConfChange, readConfChangeV1, readBinaryConfChange);
}

function readConfChangeV1(body: unknown): ConfChange {
  const f = readTuple(body, 3, 'ConfChange');
  return {
    type: readSmallUint(f[0], MAX_CHANGE_TYPE, 'ConfChange.type') as ConfChangeType,
    nodeId: readUint(f[1], 'ConfChange.nodeId'),
    context: readOptionalBytes(f[2], 'ConfChange.context'),
  };
}

/** Encodes a {@link ConfChangeV2} as a versioned codec record. */
export function encodeConfChangeV2Record(cc: ConfChangeV2): Uint8Array {
  const changes = cc.changes;
  beginRecord(RecordKind.ConfChangeV2, 5 + 9 * changes.length + contextSize(cc.context));
  writer.u8(cc.transition);
  writer.u32(changes.length);
  for (const c of changes) {
    writer.u8(c.type);
    writer.u64(c.nodeId);
  }
  writeContext(cc.context);
  return writer.end();
}

function readBinaryConfChangeV2(r: BinaryReader): ConfChangeV2 {
  const transition = r.enumU8(MAX_TRANSITION, 'ConfChangeV2.transition') as ConfChangeTransition;
  const n = r.count(9, 'ConfChangeV2.changes');
  const changes: ConfChangeSingle[] = [];
  for (let i = 0; i < n; i++) {
    const type = r.enumU8(MAX_CHANGE_TYPE, 'ConfChangeV2.changes.type') as ConfChangeType;
    changes.push({ type, nodeId: r.u64('ConfChangeV2.changes.nodeId') });
  }
  return { transition, changes, context: readContext(r, 'ConfChangeV2.context') };
}

function readConfChangeV2V1(body: unknown): ConfChangeV2 {
  const f = readTuple(body, 3, 'ConfChangeV2');
  const transition = readSmallUint(f[0], MAX_TRANSITION, 'ConfChangeV2.transition') as ConfChangeTransition;
  const flat = readFlat(f[1], 2, 'ConfChangeV2.changes');
  const changes: ConfChangeSingle[] = [];
  for (let i = 0; i < flat.length; i += 2) {
    changes.push({
      type: readSmallUint(flat[i], MAX_CHANGE_TYPE, 'ConfChangeV2.changes.type') as ConfChangeType,
      nodeId: readUint(flat[i + 1], 'ConfChangeV2.changes.nodeId'),
    });
  }
  return { transition, changes, context: readOptionalBytes(f[2], 'ConfChangeV2.context') };
}

/**
 * Decodes a record written by {@link encodeConfChangeV2Record}. The result always has a
 * `context` property (`undefined` when there was none).
 *
 * @throws `CodecError` when the bytes are not a valid ConfChangeV2 record.
 */
export function decodeConfChangeV2Record(bytes: Uint8Array): ConfChangeV2 {
  return decodeRecord(bytes, RecordKind.ConfChangeV2, readConfChangeV2V1, readBinaryConfChangeV2);
}
