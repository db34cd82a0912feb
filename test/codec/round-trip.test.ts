import { describe, expect, test } from 'vitest';
import {
  decodeConfChangeRecord,
  decodeConfChangeV2Record,
  encodeConfChangeRecord,
  encodeConfChangeV2Record,
} from '../../src/codec/conf-change.js';
import { readRecordKind, RecordKind } from '../../src/codec/envelope.js';
import { decodeEntry, decodeMessage, encodeEntry, encodeMessage } from '../../src/codec/message.js';
import {
  decodeConfState,
  decodeHardState,
  decodeSnapshotMetadata,
  encodeConfState,
  encodeHardState,
  encodeSnapshotMetadata,
} from '../../src/codec/state.js';
import { ConfChangeTransition, ConfChangeType, encodeConfChange } from '../../src/raft/conf-change.js';
import { EMPTY_BYTES, EntryType } from '../../src/raft/entry.js';
import { createMessage, MessageType, MessageTypeName, type MessageType as MT } from '../../src/raft/messages.js';
import { SeededRng } from '../../src/raft/rng.js';
import { msgApp, randomConfState, randomEntry, randomMessage } from './helpers.js';

const MAX = Number.MAX_SAFE_INTEGER;

describe('messages', () => {
  test.each(Object.entries(MessageTypeName))('empty %s (%s) round-trips', (value) => {
    const m = createMessage({ type: Number(value) as MT });
    expect(decodeMessage(encodeMessage(m))).toStrictEqual(m);
  });

  test('every field at its largest value', () => {
    const m = createMessage({
      type: MessageType.MsgApp,
      to: MAX,
      from: MAX,
      term: MAX,
      logTerm: MAX,
      index: MAX,
      entries: [{ term: MAX, index: MAX, type: EntryType.EntryConfChangeV2, data: new Uint8Array([1, 2, 3]) }],
      commit: MAX,
      reject: true,
      rejectHint: MAX,
    });
    expect(decodeMessage(encodeMessage(m))).toStrictEqual(m);
  });

  test('with a snapshot and a context', () => {
    const m = createMessage({
      type: MessageType.MsgSnap,
      to: 2,
      from: 1,
      term: 5,
      snapshot: {
        data: new Uint8Array(1000).fill(7),
        metadata: {
          confState: { voters: [1, 2, 3], learners: [4], votersOutgoing: [1, 2], learnersNext: [3], autoLeave: true },
          index: 100,
          term: 4,
        },
      },
      context: new Uint8Array([9, 9]),
    });
    expect(decodeMessage(encodeMessage(m))).toStrictEqual(m);
  });

  test('an empty context stays distinct from no context', () => {
    const withEmpty = createMessage({ type: MessageType.MsgReadIndex, context: new Uint8Array(0) });
    const without = createMessage({ type: MessageType.MsgReadIndex });
    expect(decodeMessage(encodeMessage(withEmpty)).context).toBe(EMPTY_BYTES);
    expect(decodeMessage(encodeMessage(without)).context).toBeUndefined();
  });

  test('a MsgApp with 64 entries of 100 bytes and entries with empty data', () => {
    const m = msgApp(64, 100);
    m.entries.push({ term: 3, index: 74, type: EntryType.EntryNormal, data: EMPTY_BYTES });
    expect(decodeMessage(encodeMessage(m))).toStrictEqual(m);
  });

  test('decoded messages have the shape createMessage gives', () => {
    const decoded = decodeMessage(encodeMessage(msgApp(2, 3)));
    expect(Object.keys(decoded)).toEqual(Object.keys(createMessage({ type: MessageType.MsgApp })));
    expect(Object.keys(decoded.entries[0]!)).toEqual(['term', 'index', 'type', 'data']);
    expect(decoded.entries[0]!.data.constructor).toBe(Uint8Array);
  });

  test('decoded bytes do not change when the input is reused', () => {
    const bytes = encodeMessage(msgApp(3, 10));
    const decoded = decodeMessage(bytes);
    bytes.fill(0);
    expect(decoded).toStrictEqual(msgApp(3, 10));
  });

  test('decoding a Buffer works and yields plain Uint8Arrays', () => {
    const decoded = decodeMessage(Buffer.from(encodeMessage(msgApp(1, 5))));
    expect(decoded.entries[0]!.data.constructor).toBe(Uint8Array);
  });

  test('1000 random messages round-trip', () => {
    const rng = new SeededRng(1);
    for (let i = 0; i < 1000; i++) {
      const m = randomMessage(rng);
      const bytes = encodeMessage(m);
      expect(readRecordKind(bytes)).toBe(RecordKind.Message);
      expect(decodeMessage(bytes)).toStrictEqual(m);
    }
  });
});

describe('storage records', () => {
  test('entries, including large ids and every entry type', () => {
    const rng = new SeededRng(2);
    for (let i = 0; i < 200; i++) {
      const e = randomEntry(rng);
      expect(decodeEntry(encodeEntry(e))).toStrictEqual(e);
    }
    const cc = { term: MAX, index: MAX, type: EntryType.EntryConfChange, data: encodeConfChange({ type: 0, nodeId: 3 }) };
    expect(decodeEntry(encodeEntry(cc))).toStrictEqual(cc);
  });

  test('hard states', () => {
    for (const hs of [{ term: 0, vote: 0, commit: 0 }, { term: 3, vote: 2, commit: 17 }, { term: MAX, vote: MAX, commit: MAX }]) {
      expect(decodeHardState(encodeHardState(hs))).toStrictEqual(hs);
    }
  });

  test('conf states and snapshot metadata', () => {
    const rng = new SeededRng(3);
    for (let i = 0; i < 100; i++) {
      const cs = randomConfState(rng);
      expect(decodeConfState(encodeConfState(cs))).toStrictEqual(cs);
      const md = { confState: cs, index: i * 1000, term: MAX - i };
      expect(decodeSnapshotMetadata(encodeSnapshotMetadata(md))).toStrictEqual(md);
    }
  });

  test('conf changes', () => {
    const cases = [
      { type: ConfChangeType.ConfChangeAddNode, nodeId: 1, context: undefined },
      { type: ConfChangeType.ConfChangeAddLearnerNode, nodeId: MAX, context: new Uint8Array([1, 2]) },
    ];
    for (const cc of cases) expect(decodeConfChangeRecord(encodeConfChangeRecord(cc))).toStrictEqual(cc);
  });

  test('conf changes V2, including the empty one that leaves a joint configuration', () => {
    const cases = [
      { transition: ConfChangeTransition.ConfChangeTransitionAuto, changes: [], context: undefined },
      {
        transition: ConfChangeTransition.ConfChangeTransitionJointExplicit,
        changes: [
          { type: ConfChangeType.ConfChangeAddNode, nodeId: 4 },
          { type: ConfChangeType.ConfChangeRemoveNode, nodeId: MAX },
        ],
        context: new Uint8Array([7]),
      },
    ];
    for (const cc of cases) expect(decodeConfChangeV2Record(encodeConfChangeV2Record(cc))).toStrictEqual(cc);
  });

  test('each encoder writes its own record kind', () => {
    expect(readRecordKind(encodeEntry(randomEntry(new SeededRng(4))))).toBe(RecordKind.Entry);
    expect(readRecordKind(encodeHardState({ term: 1, vote: 1, commit: 1 }))).toBe(RecordKind.HardState);
    expect(readRecordKind(encodeConfChangeV2Record({ transition: 0, changes: [] }))).toBe(RecordKind.ConfChangeV2);
  });
});
