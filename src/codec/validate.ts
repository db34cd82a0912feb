/**
 * Readers that turn an unvalidated msgpack value into a typed field, or throw a
 * {@link CodecError} naming the field. Every check a decoder makes on peer input lives here.
 *
 * @internal
 * @module
 */
import { EMPTY_BYTES, EntryType } from '../raft/entry.js';
import { CodecError } from './errors.js';

/** A short, never-throwing description of an unexpected value, for error messages. */
function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (v instanceof Uint8Array) return `${v.length} bytes`;
  switch (typeof v) {
    case 'number':
    case 'boolean':
      return String(v);
    case 'bigint':
      return 'a 64-bit integer';
    case 'string':
      return `a string of ${v.length}`;
    default:
      return `a ${typeof v}`;
  }
}

/** Throws a {@link CodecError} saying that `field` should be `want` but is `got`. */
export function fail(field: string, want: string, got: unknown): never {
  throw new CodecError(`${field}: expected ${want}, got ${describe(got)}`);
}

/** Returns `v` as an array of exactly `length` elements. */
export function readTuple(v: unknown, length: number, field: string): unknown[] {
  if (!Array.isArray(v) || v.length !== length) fail(field, `an array of ${length}`, v);
  return v;
}

/** Returns `v` as an array whose length is a multiple of `stride` (a flattened list of tuples). */
export function readFlat(v: unknown, stride: number, field: string): unknown[] {
  if (!Array.isArray(v) || v.length % stride !== 0) fail(field, `an array of a multiple of ${stride}`, v);
  return v;
}

/** Returns `v` as a non-negative safe integer: a term, an index, or a node id. */
export function readUint(v: unknown, field: string): number {
  if (!Number.isSafeInteger(v) || (v as number) < 0) fail(field, 'a non-negative safe integer', v);
  // `+ 0` turns a float-encoded -0 into 0, so decoded values are canonical.
  return (v as number) + 0;
}

/** Returns `v` as a boolean. */
export function readBool(v: unknown, field: string): boolean {
  if (typeof v !== 'boolean') fail(field, 'a boolean', v);
  return v;
}

/** Returns `v` as an integer in `[0, max]` (an enum value). */
export function readSmallUint(v: unknown, max: number, field: string): number {
  if (typeof v !== 'number' || !(v >= 0 && v <= max) || v % 1 !== 0) fail(field, `an integer in [0, ${max}]`, v);
  return v + 0;
}

/** Returns `v` as an {@link EntryType}. */
export function readEntryType(v: unknown, field: string): EntryType {
  return readSmallUint(v, EntryType.EntryConfChangeV2, field) as EntryType;
}

/**
 * Returns `v` as bytes. `v` is already a view into the decoder's private copy of the record
 * (see `unpackRecord`), so it is returned as is; empty bytes decode to the shared
 * {@link EMPTY_BYTES}.
 */
export function readBytes(v: unknown, field: string): Uint8Array {
  if (!(v instanceof Uint8Array)) fail(field, 'bytes', v);
  return v.length === 0 ? EMPTY_BYTES : v;
}

/** Like {@link readBytes}, but `nil` decodes to `undefined`. */
export function readOptionalBytes(v: unknown, field: string): Uint8Array | undefined {
  return v === null || v === undefined ? undefined : readBytes(v, field);
}

/** Returns `v` as a list of node ids (validated in place: the array is the decoder's own). */
export function readIds(v: unknown, field: string): number[] {
  if (!Array.isArray(v)) fail(field, 'an array of node ids', v);
  const ids = v as unknown[];
  for (let i = 0; i < ids.length; i++) ids[i] = readUint(ids[i], field);
  return ids as number[];
}
