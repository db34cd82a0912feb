// The first frame of every TCP/TLS peer connection: who dials whom, for what.
//
// Layout (all integers big-endian), 24 bytes + the cluster id:
//   0  'R' 'K' 'H' 'S'   magic
//   4  version (1)
//   5  channel (1 = messages, 2 = snapshot)
//   6  from: uint64 as two uint32 (high, low)
//   14 to:   uint64 as two uint32 (high, low)
//   22 cluster id length: uint16
//   24 cluster id: UTF-8

/**
 * The kind of a peer connection, named in its handshake.
 * @internal
 */
export const Channel = {
  /** A long-lived, one-way stream of message frames. */
  Messages: 1,
  /** A short-lived connection carrying one snapshot in chunks, answered by one ack frame. */
  Snapshot: 2,
} as const;

/**
 * One of the {@link Channel} values.
 * @internal
 */
export type Channel = (typeof Channel)[keyof typeof Channel];

/**
 * The decoded handshake of a connection.
 * @internal
 */
export interface Handshake {
  /** The kind of connection. */
  channel: Channel;
  /** The dialling member. */
  from: number;
  /** The member it means to reach. */
  to: number;
  /** The cluster both must belong to. */
  clusterId: string;
}

const MAGIC = [0x52, 0x4b, 0x48, 0x53];
const VERSION = 1;
const FIXED = 24;
/**
 * The longest cluster id, in UTF-8 bytes.
 * @internal
 */
export const MAX_CLUSTER_ID_BYTES = 255;

/**
 * The largest handshake payload.
 * @internal
 */
export const MAX_HANDSHAKE_SIZE = FIXED + MAX_CLUSTER_ID_BYTES;

const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder('utf-8', { fatal: true });

function putUint64(view: DataView, off: number, v: number): void {
  view.setUint32(off, Math.floor(v / 0x100000000));
  view.setUint32(off + 4, v >>> 0);
}

function getUint64(view: DataView, off: number): number {
  return view.getUint32(off) * 0x100000000 + view.getUint32(off + 4);
}

/**
 * Encodes a handshake payload (to be wrapped with `encodeFrame`).
 * @internal
 */
export function encodeHandshake(h: Handshake): Uint8Array {
  const id = utf8.encode(h.clusterId);
  const out = new Uint8Array(FIXED + id.length);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  out[4] = VERSION;
  out[5] = h.channel;
  putUint64(view, 6, h.from);
  putUint64(view, 14, h.to);
  view.setUint16(22, id.length);
  out.set(id, FIXED);
  return out;
}

/**
 * Decodes a handshake payload, or returns a description of what is wrong with it; never
 * throws.
 * @internal
 */
export function decodeHandshake(b: Uint8Array): Handshake | string {
  if (b.length < FIXED) return `a handshake of ${b.length} bytes is too short`;
  for (let i = 0; i < MAGIC.length; i++) if (b[i] !== MAGIC[i]) return 'not a raftkit handshake (bad magic)';
  if (b[4] !== VERSION) return `unknown handshake version ${String(b[4])}`;
  const channel = b[5];
  if (channel !== Channel.Messages && channel !== Channel.Snapshot) return `unknown channel ${String(channel)}`;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const from = getUint64(view, 6);
  const to = getUint64(view, 14);
  if (!Number.isSafeInteger(from) || from < 1 || !Number.isSafeInteger(to) || to < 1) return 'member ids out of range';
  const len = view.getUint16(22);
  if (b.length !== FIXED + len) return 'cluster id length does not match the frame';
  let clusterId: string;
  try {
    clusterId = utf8Strict.decode(b.subarray(FIXED));
  } catch {
    return 'cluster id is not valid UTF-8';
  }
  return { channel, from, to, clusterId };
}

/**
 * Returns the UTF-8 length of a cluster id, for validation.
 * @internal
 */
export function clusterIdBytes(clusterId: string): number {
  return utf8.encode(clusterId).length;
}
