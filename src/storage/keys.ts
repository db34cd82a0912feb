/**
 * The key layout of {@link LevelStorage}. Three sublevels, each with `Uint8Array` keys and values:
 *
 * ```
 * log   u64be(index)                       → sealed Entry record (the first one is the dummy
 *                                             that holds the compaction point's index and term)
 * meta  'hard-state'                       → sealed HardState record
 *       'snapshot'                         → sealed snapshot header (chunk count, byte length,
 *                                             SnapshotMetadata record)
 * snap  u64be(index) ‖ u32be(chunk)        → sealed chunk bytes of the snapshot at `index`
 * ```
 *
 * Indexes are fixed-width big-endian so that byte order is numeric order and ranges sort.
 * @module
 */

/** The sublevel names. */
export const SUBLEVEL_LOG = 'log';
/** The sublevel of single records (hard state, snapshot header). */
export const SUBLEVEL_META = 'meta';
/** The sublevel of snapshot chunks. */
export const SUBLEVEL_SNAP = 'snap';

const utf8 = new TextEncoder();
/** The `meta` key of the hard state. */
export const KEY_HARD_STATE: Uint8Array = utf8.encode('hard-state');
/** The `meta` key of the current snapshot's header. */
export const KEY_SNAPSHOT: Uint8Array = utf8.encode('snapshot');

/** The largest index a key can hold (`Number.MAX_SAFE_INTEGER`; the high word fits 21 bits). */
const TWO_32 = 0x1_0000_0000;

function writeU64(out: Uint8Array, at: number, n: number): void {
  // Byte by byte: no DataView allocation on the hot path (one key per entry written).
  const hi = Math.floor(n / TWO_32);
  const lo = n >>> 0;
  out[at] = hi >>> 24;
  out[at + 1] = (hi >>> 16) & 0xff;
  out[at + 2] = (hi >>> 8) & 0xff;
  out[at + 3] = hi & 0xff;
  out[at + 4] = lo >>> 24;
  out[at + 5] = (lo >>> 16) & 0xff;
  out[at + 6] = (lo >>> 8) & 0xff;
  out[at + 7] = lo & 0xff;
}

function readU64(bytes: Uint8Array, at: number): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return view.getUint32(at) * TWO_32 + view.getUint32(at + 4);
}

/** The `log` key of entry `index`: 8 bytes, big-endian. */
export function logKey(index: number): Uint8Array {
  const k = new Uint8Array(8);
  writeU64(k, 0, index);
  return k;
}

/** Reads the index from a `log` key; NaN when the key is not 8 bytes long. */
export function logKeyIndex(key: Uint8Array): number {
  return key.length === 8 ? readU64(key, 0) : NaN;
}

/** The `snap` key of chunk `chunk` of the snapshot at `index`: 12 bytes, big-endian. */
export function chunkKey(index: number, chunk: number): Uint8Array {
  const k = new Uint8Array(12);
  writeU64(k, 0, index);
  new DataView(k.buffer).setUint32(8, chunk);
  return k;
}
