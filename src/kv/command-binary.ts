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
import { BinaryReader, BinaryWriter, maxStringSize } from '../codec/binary.js';
import { CodecError } from '../codec/errors.js';
import type { KvCommand, MemberChangeRequest } from './commands.js';
import type { Bytes, CompactionRequest, Compare, DeleteRangeRequest, PutRequest, RequestOp, TxnRequest } from './types.js';

/** The first byte of a binary command: 0xc1, the one byte msgpack never uses. */
export const BINARY_TAG = 0xc1;

const BYTES = 0;
const NUMBER = 1;
const BOOL = 2;
const BIGINT = 3;
const STRING = 4;
type FieldKind = typeof BYTES | typeof NUMBER | typeof BOOL | typeof BIGINT | typeof STRING;
type Fields = readonly (readonly [name: string, kind: FieldKind])[];

const PUT_FIELDS: Fields = [['key', BYTES], ['value', BYTES], ['lease', BIGINT], ['prevKv', BOOL], ['ignoreValue', BOOL], ['ignoreLease', BOOL]];
const DELETE_FIELDS: Fields = [['key', BYTES], ['rangeEnd', BYTES], ['prevKv', BOOL]];
const RANGE_FIELDS: Fields = [
  ['key', BYTES], ['rangeEnd', BYTES], ['limit', NUMBER], ['revision', NUMBER], ['sortOrder', NUMBER], ['sortTarget', NUMBER],
  ['serializable', BOOL], ['keysOnly', BOOL], ['countOnly', BOOL], ['minModRevision', NUMBER], ['maxModRevision', NUMBER],
  ['minCreateRevision', NUMBER], ['maxCreateRevision', NUMBER],
];
const COMPARE_FIELDS: Fields = [
  ['result', NUMBER], ['target', NUMBER], ['key', BYTES], ['rangeEnd', BYTES], ['version', NUMBER], ['createRevision', NUMBER],
  ['modRevision', NUMBER], ['value', BYTES], ['lease', BIGINT],
];
const COMPACT_FIELDS: Fields = [['revision', NUMBER], ['physical', BOOL]];
const MEMBER_CHANGE_FIELDS: Fields = [['address', STRING], ['learner', BOOL]];

const OPS = ['put', 'deleteRange', 'txn', 'compact', 'leaseGrant', 'leaseRevoke', 'leaseKeepAlive', 'leaseCheckpoint', 'alarm', 'memberAttrs', 'memberRequest', 'memberResult'] as const;
const OP_CODE: Readonly<Record<KvCommand['op'], number>> = Object.fromEntries(OPS.map((op, i) => [op, i])) as Record<KvCommand['op'], number>;
const REQUEST_OPS = ['requestRange', 'requestPut', 'requestDeleteRange', 'requestTxn'] as const;
const REQUEST_OP_FIELDS: readonly Fields[] = [RANGE_FIELDS, PUT_FIELDS, DELETE_FIELDS];
const MEMBER_ACTIONS = ['add', 'remove', 'promote', 'update'] as const;
const ALARM_ACTIONS = ['activate', 'deactivate'] as const;

/** Nested txns deeper than this are refused by both ends (gRPC's own nesting limit is 100). */
export const MAX_TXN_DEPTH = 64;

const writer = new BinaryWriter();

function bytesSize(b: Bytes): number {
  return typeof b === 'string' ? 1 + maxStringSize(b) : 5 + b.length;
}

function fieldSize(v: unknown, kind: FieldKind, name: string): number {
  switch (kind) {
    case BYTES:
      if (typeof v !== 'string' && !(v instanceof Uint8Array)) throw new CodecError(`${name}: expected bytes or a string`);
      return bytesSize(v);
    case NUMBER:
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new CodecError(`${name}: expected a finite number`);
      return 8;
    case BOOL:
      if (typeof v !== 'boolean') throw new CodecError(`${name}: expected a boolean`);
      return 1;
    case BIGINT:
      if (typeof v !== 'bigint') throw new CodecError(`${name}: expected a bigint`);
      return 8;
    case STRING:
      if (typeof v !== 'string') throw new CodecError(`${name}: expected a string`);
      return maxStringSize(v);
  }
}

function requestSize(o: object, fields: Fields): number {
  let size = 2;
  const rec = o as Record<string, unknown>;
  for (let i = 0; i < fields.length; i++) {
    const [name, kind] = fields[i]!;
    const v = rec[name];
    if (v !== undefined) size += fieldSize(v, kind, name);
  }
  return size;
}

function writeRequest(o: object, fields: Fields): void {
  const rec = o as Record<string, unknown>;
  let mask = 0;
  for (let i = 0; i < fields.length; i++) if (rec[fields[i]![0]] !== undefined) mask |= 1 << i;
  writer.u16(mask);
  for (let i = 0; i < fields.length; i++) {
    const [name, kind] = fields[i]!;
    const v = rec[name];
    if (v === undefined) continue;
    switch (kind) {
      case BYTES:
        writeBytesField(v as Bytes);
        break;
      case NUMBER:
        writer.f64(v as number);
        break;
      case BOOL:
        writer.u8(v === true ? 1 : 0);
        break;
      case BIGINT:
        writer.i64(BigInt.asIntN(64, v as bigint));
        break;
      case STRING:
        writer.string(v as string);
        break;
    }
  }
}

function readField(r: BinaryReader, kind: FieldKind, name: string): unknown {
  switch (kind) {
    case BYTES: {
      const form = r.u8(name);
      if (form === 1) return r.bytes(name);
      if (form !== 2) r.invalid(name, 'bytes (1) or a string (2)', form);
      return r.string(name);
    }
    case NUMBER:
      return r.f64(name);
    case BOOL:
      return r.enumU8(1, name) === 1;
    case BIGINT:
      return r.i64(name);
    case STRING:
      return r.string(name);
  }
}

function readRequest(r: BinaryReader, fields: Fields, into: Record<string, unknown> = {}): Record<string, unknown> {
  const mask = r.u16('request');
  if (mask >>> fields.length !== 0) r.invalid('request', `presence bits for ${fields.length} fields`, mask);
  for (let i = 0; i < fields.length; i++) {
    if ((mask & (1 << i)) === 0) continue;
    const [name, kind] = fields[i]!;
    into[name] = readField(r, kind, name);
  }
  return into;
}

function checkList(v: unknown, name: string): void {
  if (v !== undefined && !Array.isArray(v)) throw new CodecError(`${name}: expected an array`);
}

function txnSize(t: TxnRequest, depth: number): number {
  if (depth > MAX_TXN_DEPTH) throw new CodecError(`txn: nested deeper than ${MAX_TXN_DEPTH}`);
  let size = 1;
  checkList(t.compare, 'compare');
  checkList(t.success, 'success');
  checkList(t.failure, 'failure');
  const compare = t.compare;
  if (compare !== undefined) {
    size += 4;
    for (const c of compare) size += requestSize(c, COMPARE_FIELDS);
  }
  for (const ops of [t.success, t.failure]) {
    if (ops === undefined) continue;
    size += 4;
    for (const op of ops) size += 1 + requestOpSize(op, depth);
  }
  return size;
}

function requestOpKind(op: RequestOp): number {
  for (let k = 0; k < REQUEST_OPS.length; k++) if ((op as Record<string, unknown>)[REQUEST_OPS[k]!] !== undefined) return k;
  throw new CodecError('txn: an operation with no request');
}

function requestOpSize(op: RequestOp, depth: number): number {
  const k = requestOpKind(op);
  const body = (op as Record<string, object>)[REQUEST_OPS[k]!]!;
  return k === 3 ? txnSize(body, depth + 1) : requestSize(body, REQUEST_OP_FIELDS[k]!);
}

function writeTxn(t: TxnRequest): void {
  writer.u8((t.compare !== undefined ? 1 : 0) | (t.success !== undefined ? 2 : 0) | (t.failure !== undefined ? 4 : 0));
  if (t.compare !== undefined) {
    writer.u32(t.compare.length);
    for (const c of t.compare) writeRequest(c, COMPARE_FIELDS);
  }
  for (const ops of [t.success, t.failure]) {
    if (ops === undefined) continue;
    writer.u32(ops.length);
    for (const op of ops) {
      const k = requestOpKind(op);
      writer.u8(k);
      const body = (op as Record<string, object>)[REQUEST_OPS[k]!]!;
      if (k === 3) writeTxn(body);
      else writeRequest(body, REQUEST_OP_FIELDS[k]!);
    }
  }
}

function readOps(r: BinaryReader, depth: number): RequestOp[] {
  const n = r.count(2, 'txn.ops');
  const ops: RequestOp[] = [];
  for (let i = 0; i < n; i++) {
    const k = r.enumU8(3, 'txn.op');
    const body = k === 3 ? readTxn(r, depth + 1) : readRequest(r, REQUEST_OP_FIELDS[k]!);
    ops.push({ [REQUEST_OPS[k]!]: body } as RequestOp);
  }
  return ops;
}

function readTxn(r: BinaryReader, depth: number): TxnRequest {
  if (depth > MAX_TXN_DEPTH) r.invalid('txn', `at most ${MAX_TXN_DEPTH} nested txns`, depth);
  const mask = r.enumU8(7, 'txn');
  const t: TxnRequest = {};
  if ((mask & 1) !== 0) {
    const n = r.count(2, 'txn.compare');
    const compare: Compare[] = [];
    for (let i = 0; i < n; i++) compare.push(readRequest(r, COMPARE_FIELDS) as unknown as Compare);
    t.compare = compare;
  }
  if ((mask & 2) !== 0) t.success = readOps(r, depth);
  if ((mask & 4) !== 0) t.failure = readOps(r, depth);
  return t;
}

// The put, the command of almost every entry, read and written field by field: the same bytes
// as the PUT_FIELDS table gives, without its keyed property accesses.

function putSize(p: PutRequest): number {
  let size = 2;
  if (p.key !== undefined) size += fieldSize(p.key, BYTES, 'key');
  if (p.value !== undefined) size += fieldSize(p.value, BYTES, 'value');
  if (p.lease !== undefined) size += fieldSize(p.lease, BIGINT, 'lease');
  if (p.prevKv !== undefined) size += fieldSize(p.prevKv, BOOL, 'prevKv');
  if (p.ignoreValue !== undefined) size += fieldSize(p.ignoreValue, BOOL, 'ignoreValue');
  if (p.ignoreLease !== undefined) size += fieldSize(p.ignoreLease, BOOL, 'ignoreLease');
  return size;
}

function writeBytesField(b: Bytes): void {
  if (typeof b === 'string') {
    writer.u8(2);
    writer.string(b);
  } else {
    writer.u8(1);
    writer.bytes(b);
  }
}

function writePut(p: PutRequest): void {
  writer.u16(
    (p.key !== undefined ? 1 : 0) |
      (p.value !== undefined ? 2 : 0) |
      (p.lease !== undefined ? 4 : 0) |
      (p.prevKv !== undefined ? 8 : 0) |
      (p.ignoreValue !== undefined ? 16 : 0) |
      (p.ignoreLease !== undefined ? 32 : 0),
  );
  if (p.key !== undefined) writeBytesField(p.key);
  if (p.value !== undefined) writeBytesField(p.value);
  if (p.lease !== undefined) writer.i64(BigInt.asIntN(64, p.lease));
  if (p.prevKv !== undefined) writer.u8(p.prevKv ? 1 : 0);
  if (p.ignoreValue !== undefined) writer.u8(p.ignoreValue ? 1 : 0);
  if (p.ignoreLease !== undefined) writer.u8(p.ignoreLease ? 1 : 0);
}

function readPut(r: BinaryReader): PutRequest {
  const mask = r.u16('request');
  if (mask >>> PUT_FIELDS.length !== 0) r.invalid('request', `presence bits for ${PUT_FIELDS.length} fields`, mask);
  // Same field order as the table, so every decoded put with the usual fields shares one shape.
  const p = {} as PutRequest;
  if ((mask & 1) !== 0) p.key = readField(r, BYTES, 'key') as Bytes;
  if ((mask & 2) !== 0) p.value = readField(r, BYTES, 'value') as Bytes;
  if ((mask & 4) !== 0) p.lease = r.i64('lease');
  if ((mask & 8) !== 0) p.prevKv = r.enumU8(1, 'prevKv') === 1;
  if ((mask & 16) !== 0) p.ignoreValue = r.enumU8(1, 'ignoreValue') === 1;
  if ((mask & 32) !== 0) p.ignoreLease = r.enumU8(1, 'ignoreLease') === 1;
  return p;
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
  }
}

function checkEnums(c: KvCommand): void {
  if (c.op === 'alarm' && (!ALARM_ACTIONS.includes(c.action) || ![0, 1, 2].includes(c.alarm))) throw new CodecError('alarm: unknown action or alarm type');
  if (c.op === 'memberRequest' && !MEMBER_ACTIONS.includes(c.change.action)) throw new CodecError('memberRequest: unknown action');
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
  }
  r.done();
  return c;
}
