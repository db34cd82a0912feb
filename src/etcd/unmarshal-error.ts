/**
 * The error etcd's gRPC server answers for request bytes it cannot unmarshal, for the requests
 * raftkit/etcd decodes by hand (KV's Range, Put, DeleteRange and Txn): INTERNAL with
 * "grpc: error unmarshalling request: " and the text of the gogoproto-generated `Unmarshal` that
 * etcd 3.4 runs ("unexpected EOF", "proto: wrong wireType = 0 for field Key", "proto: RangeRequest:
 * illegal tag 0 (wire type 7)", "proto: integer overflow", ...). The bytes are walked here the way
 * that code walks them, only once a hand decoder has refused them (a cold path).
 * @module
 */
import { status as Status } from '@grpc/grpc-js';
import { ProtoError } from '../kv/etcd-backend/proto.js';
import { grpcError, type GrpcError } from './errors.js';

/** One known field of a message: its Go name, its wire type, and for an embedded message its schema's name. */
interface FieldSchema {
  name: string;
  wire: 0 | 2;
  message?: MessageName;
}

type MessageName = 'RangeRequest' | 'PutRequest' | 'DeleteRangeRequest' | 'TxnRequest' | 'Compare' | 'RequestOp';

const varints = (names: string[], first: number): [number, FieldSchema][] => names.map((name, i) => [first + i, { name, wire: 0 }]);

/** The fields of the hand-decoded requests and their embedded messages (etcdserverpb's rpc.proto, Go names). */
const SCHEMAS: Record<MessageName, ReadonlyMap<number, FieldSchema>> = {
  RangeRequest: new Map([
    [1, { name: 'Key', wire: 2 }], [2, { name: 'RangeEnd', wire: 2 }],
    ...varints(['Limit', 'Revision', 'SortOrder', 'SortTarget', 'Serializable', 'KeysOnly', 'CountOnly', 'MinModRevision', 'MaxModRevision', 'MinCreateRevision', 'MaxCreateRevision'], 3),
  ]),
  PutRequest: new Map([[1, { name: 'Key', wire: 2 }], [2, { name: 'Value', wire: 2 }], ...varints(['Lease', 'PrevKv', 'IgnoreValue', 'IgnoreLease'], 3)]),
  DeleteRangeRequest: new Map([[1, { name: 'Key', wire: 2 }], [2, { name: 'RangeEnd', wire: 2 }], [3, { name: 'PrevKv', wire: 0 }]]),
  TxnRequest: new Map([
    [1, { name: 'Compare', wire: 2, message: 'Compare' }], [2, { name: 'Success', wire: 2, message: 'RequestOp' }], [3, { name: 'Failure', wire: 2, message: 'RequestOp' }],
  ]),
  Compare: new Map([
    ...varints(['Result', 'Target'], 1), [3, { name: 'Key', wire: 2 }], ...varints(['Version', 'CreateRevision', 'ModRevision'], 4),
    [7, { name: 'Value', wire: 2 }], [8, { name: 'Lease', wire: 0 }], [64, { name: 'RangeEnd', wire: 2 }],
  ]),
  RequestOp: new Map([
    [1, { name: 'RequestRange', wire: 2, message: 'RangeRequest' }], [2, { name: 'RequestPut', wire: 2, message: 'PutRequest' }],
    [3, { name: 'RequestDeleteRange', wire: 2, message: 'DeleteRangeRequest' }], [4, { name: 'RequestTxn', wire: 2, message: 'TxnRequest' }],
  ]),
};

/** Go's `io.ErrUnexpectedEOF`, `ErrIntOverflowRpc` and `ErrInvalidLengthRpc` texts. */
const EOF = 'unexpected EOF';
const OVERFLOW = 'proto: integer overflow';
const NEGATIVE = 'proto: negative length found during unmarshaling';


/** A cursor over one message's bytes, reading varints as gogoproto does (at most 64 bits, else overflow). */
class Walk {
  pos = 0;
  readonly buf: Uint8Array;
  constructor(buf: Uint8Array) {
    this.buf = buf;
  }

  /** A varint as a bigint (uint64). */
  varint(): bigint {
    let v = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (shift >= 64n) throw new ProtoError(OVERFLOW);
      const b = this.buf[this.pos++];
      if (b === undefined) throw new ProtoError(EOF);
      v |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return BigInt.asUintN(64, v);
    }
  }

  /** A length-delimited field's bytes (Go reads the length as an `int`: negative when the top bit is set). */
  bytes(): Uint8Array {
    const len = BigInt.asIntN(64, this.varint());
    if (len < 0n) throw new ProtoError(NEGATIVE);
    const end = this.pos + Number(len);
    if (end > this.buf.length) throw new ProtoError(EOF);
    const out = this.buf.subarray(this.pos, end);
    this.pos = end;
    return out;
  }

  /** Skips an unknown field of wire type `wire` (gogoproto's `skipRpc`, groups included). */
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1 || wire === 5) this.pos += wire === 1 ? 8 : 4;
    else if (wire === 2) this.bytes();
    else if (wire === 3) {
      for (;;) {
        const inner = Number(this.varint() & 7n);
        if (inner === 4) break;
        this.skip(inner);
      }
    } else if (wire !== 4) throw new ProtoError(`proto: illegal wireType ${String(wire)}`);
    if (this.pos > this.buf.length) throw new ProtoError(EOF);
  }
}

/** Walks one message as its generated `Unmarshal` does; throws the first error as a `ProtoError` with Go's text. */
function walk(name: MessageName, buf: Uint8Array): void {
  const schema = SCHEMAS[name];
  const w = new Walk(buf);
  while (w.pos < buf.length) {
    const tag = w.varint();
    const field = Number(BigInt.asIntN(32, tag >> 3n));
    const wire = Number(tag & 7n);
    if (wire === 4) throw new ProtoError(`proto: ${name}: wiretype end group for non-group`);
    if (field <= 0) throw new ProtoError(`proto: ${name}: illegal tag ${String(field)} (wire type ${String(tag)})`);
    const f = schema.get(field);
    if (f === undefined) {
      w.skip(wire);
      continue;
    }
    if (wire !== f.wire) throw new ProtoError(`proto: wrong wireType = ${String(wire)} for field ${f.name}`);
    if (f.wire === 0) w.varint();
    else if (f.message === undefined) w.bytes();
    else walk(f.message, w.bytes());
  }
}

/** The hand-decoded request messages, by the KV method that takes them. */
const REQUESTS: Readonly<Record<string, MessageName>> = { Range: 'RangeRequest', Put: 'PutRequest', DeleteRange: 'DeleteRangeRequest', Txn: 'TxnRequest' };

/**
 * The error etcd answers when the request bytes of KV method `method` do not unmarshal, given the
 * hand decoder's own `error`: Go's text when etcd would refuse the bytes too, else (bytes etcd takes
 * but raftkit refuses, e.g. txns nested deeper than its bound) the decoder's message.
 */
export function unmarshalError(method: string, buf: Uint8Array, error: unknown): GrpcError {
  let text = error instanceof Error ? error.message : String(error);
  const message = REQUESTS[method];
  if (message !== undefined) {
    try {
      walk(message, buf);
    } catch (e) {
      // A RangeError here is a nesting deep enough to exhaust the stack: raftkit's own text stays.
      if (e instanceof ProtoError) text = e.message;
    }
  }
  return grpcError(Status.INTERNAL, `grpc: error unmarshalling request: ${text}`);
}

/**
 * A request whose bytes did not decode, handed to the handler instead of a request (grpc-js would
 * answer its own "Error deserializing request"): the unary handler answers {@link MalformedRequest.error}.
 * @internal
 */
export class MalformedRequest {
  /** The error to answer with (etcd's). */
  readonly error: GrpcError;

  /** @param error - the error to answer with. */
  constructor(error: GrpcError) {
    this.error = error;
  }
}
