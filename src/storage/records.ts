import { crc32c } from './crc32c.js';

/**
 * Checksummed records: every value {@link LevelStorage} writes is `u32be(crc32c(payload)) ‖
 * payload`, so that a flipped bit or a torn value is detected when it is read back.
 * @module
 */

/** The size of the checksum in front of every sealed record. */
export const CHECKSUM_SIZE = 4;

/** Prepends the CRC-32C of `payload` (written big-endian). */
export function seal(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(CHECKSUM_SIZE + payload.length);
  out.set(payload, CHECKSUM_SIZE);
  return sealInPlace(out);
}

/**
 * Seals a record whose payload was written after {@link CHECKSUM_SIZE} spare bytes: writes the
 * CRC-32C of the rest into them and returns `out` (no copy; same bytes as `seal(payload)`).
 */
export function sealInPlace(out: Uint8Array): Uint8Array {
  const crc = crc32c(out.subarray(CHECKSUM_SIZE));
  out[0] = crc >>> 24;
  out[1] = (crc >>> 16) & 0xff;
  out[2] = (crc >>> 8) & 0xff;
  out[3] = crc & 0xff;
  return out;
}

/**
 * Returns the payload of a sealed record (a view into `record`), or `undefined` when the
 * record is too short or its checksum does not match.
 */
export function unseal(record: Uint8Array): Uint8Array | undefined {
  if (record.length < CHECKSUM_SIZE) return undefined;
  const view = new DataView(record.buffer, record.byteOffset, record.byteLength);
  const payload = record.subarray(CHECKSUM_SIZE);
  return view.getUint32(0) === crc32c(payload) ? payload : undefined;
}

/** The header stored in front of a snapshot's metadata: how its data is chunked. */
export interface SnapshotHeader {
  /** The number of chunks under the snapshot's index. */
  chunks: number;
  /** The total byte length of the data. */
  byteLength: number;
  /** The encoded `SnapshotMetadata` record. */
  metadata: Uint8Array;
}

/** Encodes a {@link SnapshotHeader}: `u32be(chunks) ‖ u32be(byteLength / 2^32) ‖ u32be(byteLength) ‖ metadata`. */
export function encodeSnapshotHeader(h: SnapshotHeader): Uint8Array {
  const out = new Uint8Array(12 + h.metadata.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, h.chunks);
  view.setUint32(4, Math.floor(h.byteLength / 0x1_0000_0000));
  view.setUint32(8, h.byteLength >>> 0);
  out.set(h.metadata, 12);
  return out;
}

/** Decodes a {@link SnapshotHeader}; `undefined` when it is too short. */
export function decodeSnapshotHeader(bytes: Uint8Array): SnapshotHeader | undefined {
  if (bytes.length < 12) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    chunks: view.getUint32(0),
    byteLength: view.getUint32(4) * 0x1_0000_0000 + view.getUint32(8),
    metadata: bytes.subarray(12),
  };
}
