/**
 * The envelope around every payload a replica puts in the log: the command of a normal entry,
 * and the context of a conf change entry (which carries the member's address).
 *
 * Layout (19 bytes of header, big-endian): tag `0x52` (u8), proposer id (f64), incarnation
 * (u32), request sequence number (f64), then the payload bytes.
 *
 * The triple (proposer, incarnation, seq) identifies one call to `propose` (or to a membership
 * method) across the whole life of the cluster: `seq` counts calls within one run of a replica,
 * and `incarnation` is drawn afresh each time a replica starts, so a restarted member never
 * mistakes an entry from its previous run for one of its own new requests.
 */

import { decodeConfChange, decodeConfChangeV2 } from '../raft/conf-change.js';
import { EntryType, type Entry } from '../raft/entry.js';
import { pooledBytes } from '../codec/binary.js';

const TAG = 0x52;
const HEADER = 1 + 8 + 4 + 8;

/** The bytes an envelope adds in front of its payload. */
export const ENVELOPE_OVERHEAD = HEADER;

/** Who proposed an entry, and which of its requests the entry answers. */
export interface RequestId {
  /** The proposing member's id. */
  proposer: number;
  /** The proposer's incarnation (random per start). */
  incarnation: number;
  /** The request's sequence number within the incarnation. */
  seq: number;
}

/** A decoded envelope: the request id and the payload. */
export interface Envelope extends RequestId {
  /** The payload: the command bytes, or the UTF-8 address of a conf change. */
  payload: Uint8Array;
}

/**
 * Wraps `payload` in an envelope carrying `id`. The result is carved from a shared pool (see
 * `pooledBytes`): a fresh array of a few hundred bytes per proposal cost more than the copy.
 */
export function encodeEnvelope(id: RequestId, payload: Uint8Array): Uint8Array {
  const out = pooledBytes(HEADER + payload.length);
  out[0] = TAG;
  setF64At(out, 1, id.proposer);
  const inc = id.incarnation >>> 0;
  out[9] = inc >>> 24;
  out[10] = (inc >>> 16) & 0xff;
  out[11] = (inc >>> 8) & 0xff;
  out[12] = inc & 0xff;
  setF64At(out, 13, id.seq);
  out.set(payload, HEADER);
  return out;
}

/** Decodes an envelope, or returns `undefined` when `data` is not one (for example an empty entry). */
export function decodeEnvelope(data: Uint8Array | undefined): Envelope | undefined {
  if (data === undefined || data.length < HEADER || data[0] !== TAG) return undefined;
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const proposer = dv.getFloat64(1);
  const seq = dv.getFloat64(13);
  if (!Number.isSafeInteger(proposer) || !Number.isSafeInteger(seq)) return undefined;
  return { proposer, incarnation: dv.getUint32(9), seq, payload: data.subarray(HEADER) };
}

/** Scratch for {@link ownSeqOf}'s float reads (big-endian, as `DataView` reads them). */
const scratch = new Uint8Array(8);
const scratchView = new DataView(scratch.buffer);

function f64At(data: Uint8Array, at: number): number {
  for (let i = 0; i < 8; i++) scratch[i] = data[at + i]!;
  return scratchView.getFloat64(0);
}

function setF64At(data: Uint8Array, at: number, v: number): void {
  scratchView.setFloat64(0, v);
  for (let i = 0; i < 8; i++) data[at + i] = scratch[i]!;
}

/**
 * The request sequence number of `data`'s envelope when `proposer` in `incarnation` made it,
 * else `undefined`: what `decodeEnvelope` would tell, without decoding (no allocation; run for
 * every entry a Ready persists).
 */
export function ownSeqOf(data: Uint8Array | undefined, proposer: number, incarnation: number): number | undefined {
  if (data === undefined || data.length < HEADER || data[0] !== TAG) return undefined;
  if (f64At(data, 1) !== proposer || ((data[9]! << 24) | (data[10]! << 16) | (data[11]! << 8) | data[12]!) >>> 0 !== incarnation) return undefined;
  const seq = f64At(data, 13);
  return Number.isSafeInteger(seq) ? seq : undefined;
}

/**
 * The proposer named by `data`'s envelope, or 0 when `data` is not an envelope: what
 * `decodeEnvelope` would tell, without decoding (no allocation).
 */
export function proposerOf(data: Uint8Array): number {
  if (data.length < HEADER || data[0] !== TAG) return 0;
  const proposer = f64At(data, 1);
  return Number.isSafeInteger(proposer) ? proposer : 0;
}

const utf8 = new TextEncoder();
const utf8d = new TextDecoder();

/** Encodes an address for a conf change context. */
export function encodeAddress(address: string): Uint8Array {
  return utf8.encode(address);
}

/** Decodes an address from a conf change context payload. */
export function decodeAddress(bytes: Uint8Array): string {
  return utf8d.decode(bytes);
}

/** The context bytes of a conf change entry, or `undefined` when it has none or is malformed. */
export function confChangeContext(e: Entry): Uint8Array | undefined {
  try {
    return e.type === EntryType.EntryConfChange ? decodeConfChange(e.data).context : decodeConfChangeV2(e.data).context;
  } catch {
    return undefined;
  }
}
