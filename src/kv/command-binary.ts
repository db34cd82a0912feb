/**
 * The binary layout of KV commands (the entry payloads), written behind the tag byte
 * {@link BINARY_TAG}, which msgpack never produces, so that earlier builds' commands (a version
 * byte 1 then msgpack) still decode (see `commands.ts`).
 *
 * ```
 * command   0xc1 ‖ op u8 ‖ body
 * put       request(PUT_FIELDS)            deleteRange request(DELETE_FIELDS)
 * compact   request(COMPACT_FIELDS)        txn         txn
 * leaseGrant id i64 ‖ ttl f64              leaseRevoke, leaseKeepAlive: id i64
 * leaseCheckpoint count u32 ‖ (id i64 ‖ remainingTtl f64)*
 * alarm     action u8 ‖ memberId i64 ‖ alarm u8
 * memberAttrs memberId i64 ‖ name str ‖ count u32 ‖ url str*
 * memberRequest reqId str ‖ action u8 ‖ id f64 ‖ request(MEMBER_CHANGE_FIELDS)
 * memberResult  reqId str ‖ code str ‖ message str
 * hashCheck   checkId str ‖ memberId i64 ‖ revision f64 ‖ compactRevision f64 ‖ hash u32 ‖ deadline f64
 * hashVerdict checkId str ‖ memberId i64 ‖ verdict u8 ‖ hash u32 ‖ compactRevision f64
 * request   presence u16 (bit i: field i is present) ‖ each present field in table order:
 *             bytes: u8 1 (bytes) or 2 (UTF-8 string) ‖ u32 length ‖ data
 *             number: f64 (finite)   bool: u8 0/1   bigint: i64   string: str
 * txn       presence u8 (compare, success, failure) ‖ each present list: count u32 ‖ items
 *             compare: request(COMPARE_FIELDS); op: kind u8 (range, put, deleteRange, txn) ‖ body
 * str       u32 length ‖ UTF-8
 * ```
 * Integers are little-endian. Numbers are finite doubles (the encoder refuses NaN and ±Infinity,
 * so a command it writes always decodes); bigints are int64, two's complement.
 *
 * @internal
 * @module
 */
import { BinaryReader } from '../codec/binary.js';
import { CodecError } from '../codec/errors.js';
import type { KvCommand, MemberChangeRequest } from './commands.js';
import {
  BIGINT,
  COMPACT_FIELDS,
  DELETE_FIELDS,
  MEMBER_CHANGE_FIELDS,
  NUMBER,
  STRING,
  fieldSize,
  putSize,
  readPut,
  readRequest,
  readTxn,
  requestSize,
  txnSize,
  writePut,
  writeRequest,
  writeTxn,
  writer,
} from './request-binary.js';
import type { CompactionRequest, DeleteRangeRequest } from './types.js';

/** The first byte of a binary command: 0xc1, the one byte msgpack never uses. */
export const BINARY_TAG = 0xc1;

export { MAX_TXN_DEPTH } from './request-binary.js';

/** Every op, by code (the codes only grow: a new op goes last). */
export const OPS = ['put', 'deleteRange', 'txn', 'compact', 'leaseGrant', 'leaseRevoke', 'leaseKeepAlive', 'leaseCheckpoint', 'alarm', 'memberAttrs', 'memberRequest', 'memberResult', 'hashCheck', 'hashVerdict'] as const;
const OP_CODE: Readonly<Record<KvCommand['op'], number>> = Object.fromEntries(OPS.map((op, i) => [op, i])) as Record<KvCommand['op'], number>;
const MEMBER_ACTIONS = ['add', 'remove', 'promote', 'update'] as const;
const ALARM_ACTIONS = ['activate', 'deactivate'] as const;
const VERDICTS = ['match', 'mismatch', 'skipped'] as const;

function hashSize(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new CodecError(`${name}: expected a uint32`);
  return 4;
}
function commandSize(c: KvCommand): number {
  switch (c.op) {
    case 'put':
      return putSize(c.req);
    case 'deleteRange':
      return requestSize(c.req, DELETE_FIELDS);
    case 'compact':
      return requestSize(c.req, COMPACT_FIELDS);
    case 'txn':
      return txnSize(c.req, 0);
    case 'leaseGrant':
      return fieldSize(c.id, BIGINT, 'id') + fieldSize(c.ttl, NUMBER, 'ttl');
    case 'leaseRevoke':
    case 'leaseKeepAlive':
      return fieldSize(c.id, BIGINT, 'id');
    case 'leaseCheckpoint':
      return 4 + c.checkpoints.reduce((n, cp) => n + fieldSize(cp.id, BIGINT, 'id') + fieldSize(cp.remainingTtl, NUMBER, 'remainingTtl'), 0);
    case 'alarm':
      return 2 + fieldSize(c.memberId, BIGINT, 'memberId');
    case 'memberAttrs':
      return fieldSize(c.memberId, BIGINT, 'memberId') + fieldSize(c.name, STRING, 'name') + 4 + c.clientUrls.reduce((n, u) => n + fieldSize(u, STRING, 'clientUrls'), 0);
    case 'memberRequest':
      return fieldSize(c.reqId, STRING, 'reqId') + 1 + fieldSize(c.change.id, NUMBER, 'change.id') + requestSize(c.change, MEMBER_CHANGE_FIELDS);
    case 'memberResult':
      return fieldSize(c.reqId, STRING, 'reqId') + fieldSize(c.code, STRING, 'code') + fieldSize(c.message, STRING, 'message');
    case 'hashCheck':
      return fieldSize(c.checkId, STRING, 'checkId') + fieldSize(c.memberId, BIGINT, 'memberId') + fieldSize(c.revision, NUMBER, 'revision') + fieldSize(c.compactRevision, NUMBER, 'compactRevision') + hashSize(c.hash, 'hash') + fieldSize(c.deadline, NUMBER, 'deadline');
    case 'hashVerdict':
      return fieldSize(c.checkId, STRING, 'checkId') + fieldSize(c.memberId, BIGINT, 'memberId') + 1 + hashSize(c.hash, 'hash') + fieldSize(c.compactRevision, NUMBER, 'compactRevision');
  }
}

function writeBody(c: KvCommand): void {
  switch (c.op) {
    case 'put':
      return writePut(c.req);
    case 'deleteRange':
      return writeRequest(c.req, DELETE_FIELDS);
    case 'compact':
      return writeRequest(c.req, COMPACT_FIELDS);
    case 'txn':
      return writeTxn(c.req);
    case 'leaseGrant':
      writer.i64(BigInt.asIntN(64, c.id));
      return writer.f64(c.ttl);
    case 'leaseRevoke':
    case 'leaseKeepAlive':
      return writer.i64(BigInt.asIntN(64, c.id));
    case 'leaseCheckpoint':
      writer.u32(c.checkpoints.length);
      for (const cp of c.checkpoints) {
        writer.i64(BigInt.asIntN(64, cp.id));
        writer.f64(cp.remainingTtl);
      }
      return;
    case 'alarm':
      writer.u8(ALARM_ACTIONS.indexOf(c.action));
      writer.i64(BigInt.asIntN(64, c.memberId));
      return writer.u8(c.alarm);
    case 'memberAttrs':
      writer.i64(BigInt.asIntN(64, c.memberId));
      writer.string(c.name);
      writer.u32(c.clientUrls.length);
      for (const u of c.clientUrls) writer.string(u);
      return;
    case 'memberRequest':
      writer.string(c.reqId);
      writer.u8(MEMBER_ACTIONS.indexOf(c.change.action));
      writer.f64(c.change.id);
      return writeRequest(c.change, MEMBER_CHANGE_FIELDS);
    case 'memberResult':
      writer.string(c.reqId);
      writer.string(c.code);
      return writer.string(c.message);
    case 'hashCheck':
      writer.string(c.checkId);
      writer.i64(BigInt.asIntN(64, c.memberId));
      writer.f64(c.revision);
      writer.f64(c.compactRevision);
      writer.u32(c.hash);
      return writer.f64(c.deadline);
    case 'hashVerdict':
      writer.string(c.checkId);
      writer.i64(BigInt.asIntN(64, c.memberId));
      writer.u8(VERDICTS.indexOf(c.verdict));
      writer.u32(c.hash);
      return writer.f64(c.compactRevision);
  }
}

function checkEnums(c: KvCommand): void {
  if (c.op === 'alarm' && (!ALARM_ACTIONS.includes(c.action) || ![0, 1, 2].includes(c.alarm))) throw new CodecError('alarm: unknown action or alarm type');
  if (c.op === 'memberRequest' && !MEMBER_ACTIONS.includes(c.change.action)) throw new CodecError('memberRequest: unknown action');
  if (c.op === 'hashVerdict' && !VERDICTS.includes(c.verdict)) throw new CodecError('hashVerdict: unknown verdict');
}

/**
 * Encodes a command in the binary layout. The result is a view of a shared slab that is never
 * written again.
 *
 * @throws {@link CodecError} when the command holds a value the layout refuses (an
 *   unknown op, a non-finite number, a field of the wrong type, txns nested too deep).
 */
export function encodeBinaryCommand(c: KvCommand): Uint8Array {
  const code = OP_CODE[c.op] as number | undefined;
  if (code === undefined) throw new CodecError(`unknown op ${c.op}`);
  checkEnums(c);
  writer.begin(2 + commandSize(c));
  writer.u8(BINARY_TAG);
  writer.u8(code);
  writeBody(c);
  return writer.end();
}

function readMemberRequest(r: BinaryReader): KvCommand {
  const reqId = r.string('reqId');
  const action = MEMBER_ACTIONS[r.enumU8(MEMBER_ACTIONS.length - 1, 'change.action')]!;
  const change = readRequest(r, MEMBER_CHANGE_FIELDS, { action, id: r.f64('change.id') }) as unknown as MemberChangeRequest;
  return { op: 'memberRequest', reqId, change };
}

/**
 * Whether `bytes` is a binary command whose op this build does not know: one a newer build
 * proposed (the op codes only grow).
 */
export function isNewerBinaryCommand(bytes: Uint8Array): boolean {
  return bytes.byteLength >= 2 && bytes[0] === BINARY_TAG && bytes[1]! >= OPS.length;
}

/**
 * Decodes {@link encodeBinaryCommand}'s bytes (tag byte included). Byte fields are views into
 * one private copy of `bytes`.
 *
 * @throws `CodecError` for anything malformed (and nothing else but a stack overflow on absurd
 *   input, which the caller maps like any failure).
 */
export function decodeBinaryCommand(bytes: Uint8Array): KvCommand {
  const r = new BinaryReader(bytes, 1, 'KV command');
  const op = OPS[r.enumU8(OPS.length - 1, 'op')]!;
  r.own();
  let c: KvCommand;
  switch (op) {
    case 'put':
      c = { op, req: readPut(r) };
      break;
    case 'deleteRange':
      c = { op, req: readRequest(r, DELETE_FIELDS) as unknown as DeleteRangeRequest };
      break;
    case 'compact':
      c = { op, req: readRequest(r, COMPACT_FIELDS) as unknown as CompactionRequest };
      break;
    case 'txn':
      c = { op, req: readTxn(r, 0) };
      break;
    case 'leaseGrant':
      c = { op, id: r.i64('id'), ttl: r.f64('ttl') };
      break;
    case 'leaseRevoke':
    case 'leaseKeepAlive':
      c = { op, id: r.i64('id') };
      break;
    case 'leaseCheckpoint': {
      const n = r.count(16, 'checkpoints');
      const checkpoints: { id: bigint; remainingTtl: number }[] = [];
      for (let i = 0; i < n; i++) checkpoints.push({ id: r.i64('id'), remainingTtl: r.f64('remainingTtl') });
      c = { op, checkpoints };
      break;
    }
    case 'alarm':
      c = { op, action: ALARM_ACTIONS[r.enumU8(1, 'action')]!, memberId: r.i64('memberId'), alarm: r.enumU8(2, 'alarm') as 0 | 1 | 2 };
      break;
    case 'memberAttrs': {
      const memberId = r.i64('memberId');
      const name = r.string('name');
      const n = r.count(4, 'clientUrls');
      const clientUrls: string[] = [];
      for (let i = 0; i < n; i++) clientUrls.push(r.string('clientUrls'));
      c = { op, memberId, name, clientUrls };
      break;
    }
    case 'memberRequest':
      c = readMemberRequest(r);
      break;
    case 'memberResult':
      c = { op, reqId: r.string('reqId'), code: r.string('code'), message: r.string('message') };
      break;
    case 'hashCheck':
      c = { op, checkId: r.string('checkId'), memberId: r.i64('memberId'), revision: r.f64('revision'), compactRevision: r.f64('compactRevision'), hash: r.u32('hash'), deadline: r.f64('deadline') };
      break;
    case 'hashVerdict':
      c = { op, checkId: r.string('checkId'), memberId: r.i64('memberId'), verdict: VERDICTS[r.enumU8(VERDICTS.length - 1, 'verdict')]!, hash: r.u32('hash'), compactRevision: r.f64('compactRevision') };
      break;
  }
  r.done();
  return c;
}
