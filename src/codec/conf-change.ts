import {
  ConfChangeType,
  ConfChangeTransition,
  type ConfChange,
  type ConfChangeSingle,
  type ConfChangeV2,
} from '../raft/conf-change.js';
import { decodeRecord, packRecord, RecordKind } from './envelope.js';
import { readFlat, readOptionalBytes, readSmallUint, readTuple, readUint } from './validate.js';

// Body layouts (format version 1), all msgpack arrays:
//   ConfChange   [type, nodeId, context | nil]
//   ConfChangeV2 [transition, [type, nodeId, type, nodeId, …], context | nil]
//
// These are the codec's versioned records; the bytes carried inside `EntryConfChange*`
// entries are still the ones of raft/conf-change.ts's `encodeConfChange`.

const MAX_CHANGE_TYPE = ConfChangeType.ConfChangeAddLearnerNode;
const MAX_TRANSITION = ConfChangeTransition.ConfChangeTransitionJointExplicit;

/** Encodes a {@link ConfChange} as a versioned codec record. */
export function encodeConfChangeRecord(cc: ConfChange): Uint8Array {
  return packRecord(RecordKind.ConfChange, [cc.type, cc.nodeId, cc.context ?? null]);
}

/**
 * Decodes a record written by {@link encodeConfChangeRecord}. The result always has a
 * `context` property (`undefined` when there was none).
 *
 * @throws `CodecError` when the bytes are not a valid ConfChange record.
 */
export function decodeConfChangeRecord(bytes: Uint8Array): ConfChange {
  return decodeRecord(bytes, RecordKind.ConfChange, (body) => {
    const f = readTuple(body, 3, 'ConfChange');
    return {
      type: readSmallUint(f[0], MAX_CHANGE_TYPE, 'ConfChange.type') as ConfChangeType,
      nodeId: readUint(f[1], 'ConfChange.nodeId'),
      context: readOptionalBytes(f[2], 'ConfChange.context'),
    };
  });
}

/** Encodes a {@link ConfChangeV2} as a versioned codec record. */
export function encodeConfChangeV2Record(cc: ConfChangeV2): Uint8Array {
  const changes = cc.changes;
  const flat = new Array<number>(changes.length * 2);
  for (let i = 0; i < changes.length; i++) {
    const c = changes[i]!;
    flat[2 * i] = c.type;
    flat[2 * i + 1] = c.nodeId;
  }
  return packRecord(RecordKind.ConfChangeV2, [cc.transition, flat, cc.context ?? null]);
}

/**
 * Decodes a record written by {@link encodeConfChangeV2Record}. The result always has a
 * `context` property (`undefined` when there was none).
 *
 * @throws `CodecError` when the bytes are not a valid ConfChangeV2 record.
 */
export function decodeConfChangeV2Record(bytes: Uint8Array): ConfChangeV2 {
  return decodeRecord(bytes, RecordKind.ConfChangeV2, (body) => {
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
  });
}
