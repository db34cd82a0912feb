/**
 * The request bodies of binary KV commands (see `command-binary.ts` for the whole layout): the
 * field tables, the generic presence-mask codec they drive, txns, and the put read and written
 * field by field.
 *
 * @internal
 * @module
 */
import { BinaryWriter, maxStringSize, type BinaryReader } from '../codec/binary.js';
import { CodecError } from '../codec/errors.js';
import type { Bytes, Compare, PutRequest, RequestOp, TxnRequest } from './types.js';

/** A field kind of the request tables. */
export const BYTES = 0;
/** A field kind of the request tables. */
export const NUMBER = 1;
/** A field kind of the request tables. */
export const BOOL = 2;
/** A field kind of the request tables. */
export const BIGINT = 3;
/** A field kind of the request tables. */
export const STRING = 4;
/** What a request field holds. */
export type FieldKind = typeof BYTES | typeof NUMBER | typeof BOOL | typeof BIGINT | typeof STRING;
/** A request table: its fields in wire order. */
export type Fields = readonly (readonly [name: string, kind: FieldKind])[];

/** The put request table. */
export const PUT_FIELDS: Fields = [['key', BYTES], ['value', BYTES], ['lease', BIGINT], ['prevKv', BOOL], ['ignoreValue', BOOL], ['ignoreLease', BOOL]];
/** The delete request table. */
export const DELETE_FIELDS: Fields = [['key', BYTES], ['rangeEnd', BYTES], ['prevKv', BOOL]];
const RANGE_FIELDS: Fields = [
  ['key', BYTES], ['rangeEnd', BYTES], ['limit', NUMBER], ['revision', NUMBER], ['sortOrder', NUMBER], ['sortTarget', NUMBER],
  ['serializable', BOOL], ['keysOnly', BOOL], ['countOnly', BOOL], ['minModRevision', NUMBER], ['maxModRevision', NUMBER],
  ['minCreateRevision', NUMBER], ['maxCreateRevision', NUMBER],
];
const COMPARE_FIELDS: Fields = [
  ['result', NUMBER], ['target', NUMBER], ['key', BYTES], ['rangeEnd', BYTES], ['version', NUMBER], ['createRevision', NUMBER],
  ['modRevision', NUMBER], ['value', BYTES], ['lease', BIGINT],
];
/** The compact request table. */
export const COMPACT_FIELDS: Fields = [['revision', NUMBER], ['physical', BOOL]];
/** The member request table. */
export const MEMBER_CHANGE_FIELDS: Fields = [['address', STRING], ['learner', BOOL]];
const REQUEST_OPS = ['requestRange', 'requestPut', 'requestDeleteRange', 'requestTxn'] as const;
const REQUEST_OP_FIELDS: readonly Fields[] = [RANGE_FIELDS, PUT_FIELDS, DELETE_FIELDS];

/** Nested txns deeper than this are refused by both ends (gRPC's own nesting limit is 100). */
export const MAX_TXN_DEPTH = 64;
export const writer = new BinaryWriter();

function bytesSize(b: Bytes): number {
  return typeof b === 'string' ? 1 + maxStringSize(b) : 5 + b.length;
}

/** The bytes a field takes (an upper bound for strings); throws a CodecError for a value of the wrong type. */
export function fieldSize(v: unknown, kind: FieldKind, name: string): number {
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

/** The bytes a request of table `fields` takes. */
export function requestSize(o: object, fields: Fields): number {
  let size = 2;
  const rec = o as Record<string, unknown>;
  for (let i = 0; i < fields.length; i++) {
    const [name, kind] = fields[i]!;
    const v = rec[name];
    if (v !== undefined) size += fieldSize(v, kind, name);
  }
  return size;
}

/** Writes a request of table `fields`. */
export function writeRequest(o: object, fields: Fields): void {
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

/** Reads a request of table `fields` into `into`. */
export function readRequest(r: BinaryReader, fields: Fields, into: Record<string, unknown> = {}): Record<string, unknown> {
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

/** The bytes a txn takes; throws a CodecError when it is nested deeper than MAX_TXN_DEPTH. */
export function txnSize(t: TxnRequest, depth: number): number {
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

/** Writes a txn. */
export function writeTxn(t: TxnRequest): void {
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

/** Reads a txn nested `depth` deep. */
export function readTxn(r: BinaryReader, depth: number): TxnRequest {
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

/** The bytes a put takes. */
export function putSize(p: PutRequest): number {
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

/** Writes a put. */
export function writePut(p: PutRequest): void {
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

/** Reads a put. */
export function readPut(r: BinaryReader): PutRequest {
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
