import { describe, expect, test } from 'vitest';
import { FORMAT_VERSION, readRecordKind, RecordKind } from '../../src/codec/envelope.js';
import { CodecError } from '../../src/codec/errors.js';
import { decodeEntry, decodeMessage, encodeEntry, encodeMessage } from '../../src/codec/message.js';
import { decodeHardState, encodeHardState } from '../../src/codec/state.js';
import { RaftkitError } from '../../src/errors.js';
import { createMessage, MessageType } from '../../src/raft/messages.js';
import { rawRecord } from './helpers.js';

function withByte(bytes: Uint8Array, at: number, value: number): Uint8Array {
  const copy = bytes.slice();
  copy[at] = value;
  return copy;
}

const message = encodeMessage(createMessage({ type: MessageType.MsgHeartbeat, to: 2, from: 1, term: 3 }));

describe('the envelope', () => {
  test('byte 0 is the format version (2: binary bodies) and byte 1 the record kind', () => {
    expect(FORMAT_VERSION).toBe(2);
    expect(message[0]).toBe(2);
    expect(message[1]).toBe(RecordKind.Message);
  });

  test.each([0, 3, 0x80, 255])('unknown version %i is refused with a CodecError', (v) => {
    const err = catchError(() => decodeMessage(withByte(message, 0, v)));
    expect(err).toBeInstanceOf(CodecError);
    expect(err).toBeInstanceOf(RaftkitError);
    expect((err as CodecError).code).toBe('ERR_CODEC');
    expect((err as Error).message).toMatch(/unknown format version/);
    expect(() => readRecordKind(withByte(message, 0, v))).toThrow(CodecError);
  });

  test.each([0, 8, 100, 255])('unknown record kind %i is refused', (k) => {
    expect(() => decodeMessage(withByte(message, 1, k))).toThrow(/unknown kind/);
    expect(() => readRecordKind(withByte(message, 1, k))).toThrow(CodecError);
  });

  test('a record of another kind is refused', () => {
    expect(() => decodeMessage(encodeHardState({ term: 1, vote: 0, commit: 0 }))).toThrow(/hold a HardState record/);
    expect(() => decodeHardState(encodeEntry({ term: 1, index: 1, type: 0, data: new Uint8Array(1) }))).toThrow(CodecError);
    expect(() => decodeEntry(message)).toThrow(CodecError);
  });

  test('empty, envelope-only and non-Uint8Array inputs are refused', () => {
    for (const input of [new Uint8Array(0), new Uint8Array([1]), new Uint8Array([1, 1]), null, undefined, 'x', [1, 1, 0x90], {}]) {
      expect(() => decodeMessage(input as Uint8Array)).toThrow(CodecError);
    }
  });

  test('trailing bytes after the body are refused', () => {
    const longer = new Uint8Array(message.length + 1);
    longer.set(message);
    expect(() => decodeMessage(longer)).toThrow(CodecError);
  });

  test('a version 1 record built by hand decodes (the format is the documented array layout)', () => {
    expect(decodeHardState(rawRecord(RecordKind.HardState, [5, 2, 4]))).toEqual({ term: 5, vote: 2, commit: 4 });
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}
