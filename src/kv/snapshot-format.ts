import { RaftkitError } from '../errors.js';
import { concatBytes, pack, unpack } from './record.js';

/**
 * The KV snapshot format (the only module that knows it). A snapshot is a byte stream of
 * frames, each a 4-byte big-endian length and a msgpack body, so it can be produced and
 * consumed in chunks of any size without ever holding the whole state in one buffer:
 *
 * 1. `['raftkit-kv', 2, compactRev | -1, rev]` — the header;
 * 2. `['r', [[revisionKey, record], ...]]` — revision records in revision order, in groups;
 * 3. `['l', [[idKey(lease id), lease], ...]]` — lease records;
 * 4. `['a', [[alarmKey, empty], ...]]` — raised alarms (format 3; format 2 has none);
 * 5. `['m', [[memberKey, attributes], ...]]` — published member attributes (format 3);
 * 6. `['end', revisionCount, leaseCount, alarmCount, memberCount]` — the trailer (a truncated stream is refused).
 *
 * Records are the backend's own bytes (the revision, lease, alarm and member records of the KV backend).
 * Snapshots of format 2 (no alarms) are still read.
 */

const MAGIC = 'raftkit-kv';
const VERSION = 3;
const TAGS = { r: 'rev', l: 'lease', a: 'alarm', m: 'member' } as const;
/** Records per frame: with 256-byte values a frame is about 150 KiB, a few milliseconds of encoding, so a snapshot read in the background yields often. */
const GROUP = 512;

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

/**
 * Encodes a KV snapshot as a stream of chunks (one frame each).
 *
 * @param header - compaction and current revision.
 * @param revisions - the revision records, in revision order.
 * @param leases - the lease records.
 * @param alarms - the alarm records.
 * @param members - the member attributes records.
 * @yields {Uint8Array} the frames, in order.
 */
export async function* encodeKvSnapshot(
  header: KvSnapshotHeader,
  revisions: AsyncIterable<[Uint8Array, Uint8Array]>,
  leases: AsyncIterable<[Uint8Array, Uint8Array]>,
  alarms: AsyncIterable<[Uint8Array, Uint8Array]>,
  members: AsyncIterable<[Uint8Array, Uint8Array]>,
): AsyncGenerator<Uint8Array> {
  yield frame([MAGIC, VERSION, header.compactRev ?? -1, header.rev]);
  const counts = { r: 0, l: 0, a: 0, m: 0 };
  for (const [tag, src] of [['r', revisions], ['l', leases], ['a', alarms], ['m', members]] as const) {
    let group: [Uint8Array, Uint8Array][] = [];
    for await (const rec of src) {
      group.push(rec);
      if (group.length === GROUP) {
        yield frame([tag, group]);
        counts[tag] += group.length;
        group = [];
      }
    }
    if (group.length > 0) yield frame([tag, group]);
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
      yield unpack(buf.subarray(at + 4, at + 4 + len));
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
  if (first.done === true || !Array.isArray(h) || h[0] !== MAGIC || (h[1] !== VERSION && h[1] !== 2)) throw new BadKvSnapshotError(`KV snapshot: not a raftkit-kv snapshot of format 2 or ${VERSION}`);
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
