import { RaftkitError } from '../errors.js';
import { concatBytes, pack, unpack } from './record.js';

/**
 * The KV snapshot format (the only module that knows it). A snapshot is a byte stream of
 * frames, each a 4-byte big-endian length and a msgpack body, so it can be produced and
 * consumed in chunks of any size without ever holding the whole state in one buffer:
 *
 * 1. `['raftkit-kv', 4, compactRev | -1, rev]` — the header;
 * 2. `['r', [[revisionKey, record], ...]]` — revision records in revision order, in groups;
 * 3. `['l', [[idKey(lease id), lease], ...]]` — lease records;
 * 4. `['a', [[alarmKey, empty], ...]]` — raised alarms (format 3; format 2 has none);
 * 5. `['m', [[memberKey, attributes], ...]]` — published member attributes (format 3);
 * 6. `['end', revisionCount, leaseCount, alarmCount, memberCount]` — the trailer (a truncated stream is refused).
 *
 * Format 4 writes each record group (2–5) as a binary body instead of msgpack (no per-record
 * encoding work: a snapshot is encoded while entries are applied): the byte `0xc1` (which
 * msgpack never produces), the tag's character code, the record count (u32), then per record
 * the key's and the value's lengths (u32 each) and bytes. Readers take either body in any frame.
 *
 * Records are the backend's own bytes (the revision, lease, alarm and member records of the KV backend).
 * Snapshots of formats 2 (no alarms) and 3 (msgpack groups) are still read.
 */

const MAGIC = 'raftkit-kv';
const VERSION = 4;
/** The first byte of a binary record group's body (see the module comment). */
const BINARY_GROUP = 0xc1;
const TAGS = { r: 'rev', l: 'lease', a: 'alarm', m: 'member' } as const;
/** Records per frame: with 256-byte values a frame is about 150 KiB, a few milliseconds of encoding, so a snapshot read in the background yields often. */
export const KV_SNAPSHOT_GROUP = 512;

/** Records in storage order, a batch at a time (each batch non-empty). */
export type RecordBatches = AsyncIterable<readonly (readonly [Uint8Array, Uint8Array])[]>;

/** The header of a KV snapshot. */
export interface KvSnapshotHeader {
  /** The compacted revision, if any compaction happened. */
  compactRev: number | undefined;
  /** The store's revision. */
  rev: number;
}

/** One item of a decoded KV snapshot stream. */
export type KvSnapshotItem =
  | {
      /** A revision record. */
      kind: 'rev';
      /** The encoded revision. */
      key: Uint8Array;
      /** The encoded key-value. */
      value: Uint8Array;
    }
  | {
      /** A lease record. */
      kind: 'lease';
      /** The lease key. */
      key: Uint8Array;
      /** The encoded lease. */
      value: Uint8Array;
    }
  | {
      /** An alarm record. */
      kind: 'alarm';
      /** The alarm key (member id and alarm type). */
      key: Uint8Array;
      /** Empty. */
      value: Uint8Array;
    }
  | {
      /** A member attributes record. */
      kind: 'member';
      /** The member id. */
      key: Uint8Array;
      /** The encoded attributes. */
      value: Uint8Array;
    };

/** A KV snapshot's bytes are not a well-formed snapshot of this format. Code `ERR_KV_BAD_SNAPSHOT`. */
export class BadKvSnapshotError extends RaftkitError {
  /**
   * @param message - what is wrong.
   * @param options - optional settings.
   * @param options.cause - the underlying error.
   */
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_KV_BAD_SNAPSHOT', message, options);
  }
}

function frame(body: unknown): Uint8Array {
  const b = pack(body);
  const out = new Uint8Array(4 + b.byteLength);
  new DataView(out.buffer).setUint32(0, b.byteLength);
  out.set(b, 4);
  return out;
}

/** A frame holding a record group as a binary body (format 4). */
function binaryGroup(tag: 'r' | 'l' | 'a' | 'm', group: readonly (readonly [Uint8Array, Uint8Array])[]): Uint8Array {
  let size = 4 + 6;
  for (const [k, v] of group) size += 8 + k.length + v.length;
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, size - 4);
  out[4] = BINARY_GROUP;
  out[5] = tag.charCodeAt(0);
  dv.setUint32(6, group.length);
  let at = 10;
  for (const [k, v] of group) {
    dv.setUint32(at, k.length);
    out.set(k, at + 4);
    at += 4 + k.length;
    dv.setUint32(at, v.length);
    out.set(v, at + 4);
    at += 4 + v.length;
  }
  return out;
}

/** Decodes a binary record group's body into the shape of a msgpack one (`[tag, records]`); refuses one that runs short. */
function readBinaryGroup(body: Uint8Array): [string, [Uint8Array, Uint8Array][]] {
  if (body.length < 6) throw new BadKvSnapshotError('KV snapshot: truncated record group');
  const dv = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const count = dv.getUint32(2);
  const records: [Uint8Array, Uint8Array][] = [];
  let at = 6;
  const field = (): Uint8Array => {
    if (at + 4 > body.length) throw new BadKvSnapshotError('KV snapshot: truncated record group');
    const len = dv.getUint32(at);
    if (at + 4 + len > body.length) throw new BadKvSnapshotError('KV snapshot: truncated record group');
    const b = body.subarray(at + 4, at + 4 + len);
    at += 4 + len;
    return b;
  };
  for (let i = 0; i < count; i++) records.push([field(), field()]);
  if (at !== body.length) throw new BadKvSnapshotError('KV snapshot: trailing bytes in a record group');
  return [String.fromCharCode(body[1]!), records];
}

/**
 * Encodes a KV snapshot as a stream of chunks (one frame each). Each record source is read a
 * batch at a time; frames hold {@link KV_SNAPSHOT_GROUP} records whatever the batches' sizes (the last
 * of a kind fewer), so the bytes do not depend on how the records were read.
 *
 * @param header - compaction and current revision.
 * @param revisions - the revision records, in revision order.
 * @param leases - the lease records.
 * @param alarms - the alarm records.
 * @param members - the member attributes records.
 * @yields {Uint8Array} the frames, in order.
 */
export async function* encodeKvSnapshot(header: KvSnapshotHeader, revisions: RecordBatches, leases: RecordBatches, alarms: RecordBatches, members: RecordBatches): AsyncGenerator<Uint8Array> {
  yield frame([MAGIC, VERSION, header.compactRev ?? -1, header.rev]);
  const counts = { r: 0, l: 0, a: 0, m: 0 };
  for (const [tag, src] of [['r', revisions], ['l', leases], ['a', alarms], ['m', members]] as const) {
    let group: (readonly [Uint8Array, Uint8Array])[] = [];
    for await (const batch of src) {
      if (group.length === 0 && batch.length === KV_SNAPSHOT_GROUP) {
        yield binaryGroup(tag, batch);
        counts[tag] += KV_SNAPSHOT_GROUP;
        continue;
      }
      for (const rec of batch) {
        group.push(rec);
        if (group.length === KV_SNAPSHOT_GROUP) {
          yield binaryGroup(tag, group);
          counts[tag] += KV_SNAPSHOT_GROUP;
          group = [];
        }
      }
    }
    if (group.length > 0) yield binaryGroup(tag, group);
    counts[tag] += group.length;
  }
  yield frame(['end', counts.r, counts.l, counts.a, counts.m]);
}

/**
 * Reassembles frames from chunks of any size.
 *
 * @param chunks - the snapshot's bytes.
 * @yields {unknown} each frame's decoded body.
 */
async function* frames(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): AsyncGenerator {
  let buf: Uint8Array = new Uint8Array(0);
  for await (const c of chunks) {
    buf = concatBytes([buf, c]);
    let at = 0;
    while (buf.byteLength - at >= 4) {
      const len = new DataView(buf.buffer, buf.byteOffset + at, 4).getUint32(0);
      if (buf.byteLength - at - 4 < len) break;
      const body = buf.subarray(at + 4, at + 4 + len);
      yield body[0] === BINARY_GROUP ? readBinaryGroup(body) : unpack(body);
      at += 4 + len;
    }
    buf = buf.slice(at);
  }
  if (buf.byteLength > 0) throw new BadKvSnapshotError('KV snapshot: trailing bytes after the last frame');
}

/**
 * Decodes a KV snapshot from chunks: reads the header first, then yields the records; the
 * stream must end with a trailer whose counts match.
 *
 * @throws {@link BadKvSnapshotError} when the bytes are not a complete snapshot of this format.
 */
export async function decodeKvSnapshot(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<{ header: KvSnapshotHeader; items: AsyncGenerator<KvSnapshotItem> }> {
  const it = frames(chunks);
  let first: IteratorResult<unknown>;
  try {
    first = await it.next();
  } catch (cause) {
    throw new BadKvSnapshotError('KV snapshot: malformed header', { cause });
  }
  const h = first.value as unknown[] | undefined;
  if (first.done === true || !Array.isArray(h) || h[0] !== MAGIC || (h[1] !== VERSION && h[1] !== 3 && h[1] !== 2)) throw new BadKvSnapshotError(`KV snapshot: not a raftkit-kv snapshot of format 2 to ${VERSION}`);
  const header: KvSnapshotHeader = { compactRev: (h[2] as number) < 0 ? undefined : (h[2] as number), rev: h[3] as number };
  async function* items(): AsyncGenerator<KvSnapshotItem> {
    const counts = { r: 0, l: 0, a: 0, m: 0 };
    for await (const f of it) {
      const [tag, ...n] = f as [string, ...unknown[]];
      if (tag === 'end') {
        const want = [counts.r, counts.l, counts.a, counts.m];
        if (want.some((x, i) => (n[i] ?? 0) !== x)) throw new BadKvSnapshotError(`KV snapshot: trailer counts ${JSON.stringify(n)}, stream held ${want.join('/')}`);
        return;
      }
      if (tag !== 'r' && tag !== 'l' && tag !== 'a' && tag !== 'm') throw new BadKvSnapshotError(`KV snapshot: unknown frame ${tag}`);
      const a = n[0];
      for (const [key, value] of a as [Uint8Array, Uint8Array][]) {
        counts[tag]++;
        yield { kind: TAGS[tag], key, value };
      }
    }
    throw new BadKvSnapshotError('KV snapshot: truncated (no trailer)');
  }
  return { header, items: items() };
}
