import { describe, expect, test } from 'vitest';
import { decodeConfChangeRecord, decodeConfChangeV2Record } from '../../src/codec/conf-change.js';
import { RecordKind } from '../../src/codec/envelope.js';
import { decodeEntry, decodeMessage } from '../../src/codec/message.js';
import { decodeConfState, decodeHardState, decodeSnapshotMetadata } from '../../src/codec/state.js';
import { expectCodecError, record } from './helpers.js';

const data = new Uint8Array([1, 2]);
/** A valid version 1 message body: [type, to, from, term, logTerm, index, commit, reject, rejectHint, entries, snapshot, context]. */
function messageBody(): unknown[] {
  return [3, 2, 1, 5, 4, 10, 9, false, 0, [5, 11, 0, data], null, null];
}
function withField(i: number, v: unknown): unknown[] {
  const b = messageBody();
  b[i] = v;
  return b;
}

describe('Message', () => {
  test('the valid body used below decodes', () => {
    expect(decodeMessage(record(RecordKind.Message, messageBody())).entries).toHaveLength(1);
  });

  test.each([
    ['unknown message type 19', 0, 19, /Message.type: expected a known message type, got 19/],
    ['unknown message type 255', 0, 255, /Message.type/],
    ['message type as a string', 0, 'MsgApp', /Message.type/],
    ['negative to', 1, -1, /Message.to: expected a non-negative safe integer, got -1/],
    ['fractional from', 2, 1.5, /Message.from/],
    ['negative term', 3, -5, /Message.term/],
    ['term beyond 2^53 - 1', 3, 2 ** 53, /Message.term/],
    ['NaN logTerm', 4, NaN, /Message.logTerm/],
    ['Infinity index', 5, Infinity, /Message.index/],
    ['string commit', 6, '9', /Message.commit/],
    ['64-bit integer commit', 6, 2n ** 60n, /Message.commit: .*64-bit integer/],
    ['numeric reject', 7, 0, /Message.reject: expected a boolean, got 0/],
    ['null reject', 7, null, /Message.reject/],
    ['negative rejectHint', 8, -1, /Message.rejectHint/],
    ['entries not an array', 9, 7, /Message.entries/],
    ['entries not a multiple of 4', 9, [1, 1, 0], /Message.entries/],
    ['entry with negative term', 9, [-1, 1, 0, data], /Entry.term/],
    ['entry with unknown type', 9, [1, 1, 3, data], /Entry.type: expected an integer in \[0, 2\], got 3/],
    ['entry with string data', 9, [1, 1, 0, 'abc'], /Entry.data: expected bytes/],
    ['entry with numeric data', 9, [1, 1, 0, 5], /Entry.data/],
    ['snapshot of the wrong shape', 10, [data], /Snapshot/],
    ['snapshot with a negative index', 10, [data, [-1, 1, [[], [], [], [], false]]], /SnapshotMetadata.index/],
    ['snapshot voters not ids', 10, [data, [1, 1, [['x'], [], [], [], false]]], /ConfState.voters/],
    ['snapshot autoLeave not boolean', 10, [data, [1, 1, [[], [], [], [], 1]]], /ConfState.autoLeave/],
    ['context as a string', 11, 'ctx', /Message.context/],
  ])('%s is refused', (_name, field, value, pattern) => {
    expectCodecError(decodeMessage, record(RecordKind.Message, withField(field, value)), pattern);
  });

  test('a body that is a map instead of the array layout is refused', () => {
    expectCodecError(decodeMessage, record(RecordKind.Message, { type: 3 }), /Message: expected an array of 12/);
  });

  test.each([11, 13])('a body of %i fields is refused', (n) => {
    const body = messageBody();
    body.length = n;
    expectCodecError(decodeMessage, record(RecordKind.Message, body.map((v) => v ?? null)), /Message: expected an array of 12/);
  });

  test('float-encoded integers are accepted and -0 becomes 0', () => {
    const m = decodeMessage(record(RecordKind.Message, withField(1, -0)));
    expect(Object.is(m.to, 0)).toBe(true);
  });
});

describe('storage records', () => {
  test.each([
    ['Entry with a negative index', RecordKind.Entry, [1, -1, 0, data], decodeEntry, /Entry.index/],
    ['Entry with 5 fields', RecordKind.Entry, [1, 1, 0, data, 0], decodeEntry, /Entry: expected an array of 4/],
    ['HardState with a string vote', RecordKind.HardState, [1, 'a', 0], decodeHardState, /HardState.vote/],
    ['HardState with a negative commit', RecordKind.HardState, [1, 1, -3], decodeHardState, /HardState.commit/],
    ['ConfState with learners not an array', RecordKind.ConfState, [[], 1, [], [], false], decodeConfState, /ConfState.learners/],
    ['SnapshotMetadata with a float term', RecordKind.SnapshotMetadata, [1, 0.5, [[], [], [], [], false]], decodeSnapshotMetadata, /SnapshotMetadata.term/],
    ['ConfChange with an unknown type', RecordKind.ConfChange, [4, 1, null], decodeConfChangeRecord, /ConfChange.type/],
    ['ConfChange with a negative node id', RecordKind.ConfChange, [0, -1, null], decodeConfChangeRecord, /ConfChange.nodeId/],
    ['ConfChangeV2 with an unknown transition', RecordKind.ConfChangeV2, [3, [], null], decodeConfChangeV2Record, /ConfChangeV2.transition/],
    ['ConfChangeV2 with an odd change list', RecordKind.ConfChangeV2, [0, [0], null], decodeConfChangeV2Record, /ConfChangeV2.changes/],
    ['ConfChangeV2 with a bad context', RecordKind.ConfChangeV2, [0, [], 5], decodeConfChangeV2Record, /ConfChangeV2.context/],
  ] as const)('%s is refused', (_name, kind, body, decode, pattern) => {
    expectCodecError(decode, record(kind, body), pattern);
  });
});
