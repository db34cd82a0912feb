/**
 * The version 1 (msgpack) encoders as they shipped before format version 2: earlier builds
 * wrote these bytes to the WAL, to LevelDB and to peers, so decoders must keep reading them.
 * Kept here, not in src, as the fixture the compatibility tests decode.
 */
import { Packr } from 'msgpackr';
import type { ConfChange, ConfChangeV2 } from '../../src/raft/conf-change.js';
import type { ConfState, Entry, HardState, Snapshot, SnapshotMetadata } from '../../src/raft/entry.js';
import type { Message } from '../../src/raft/messages.js';
import type { KvCommand } from '../../src/kv/commands.js';
import type { KeyValue } from '../../src/kv/types.js';

const packr = new Packr({ useRecords: false, moreTypes: false });

function v1(kind: number, body: unknown): Uint8Array {
  const b = packr.pack(body);
  const out = new Uint8Array(2 + b.length);
  out[0] = 1;
  out[1] = kind;
  out.set(b, 2);
  return out;
}

const confStateBody = (cs: ConfState): unknown[] => [cs.voters, cs.learners, cs.votersOutgoing, cs.learnersNext, cs.autoLeave];
const metadataBody = (md: SnapshotMetadata): unknown[] => [md.index, md.term, confStateBody(md.confState)];
const snapshotBody = (s: Snapshot): unknown[] => [s.data, metadataBody(s.metadata)];

/** Version 1 `encodeMessage`. */
export function encodeMessageV1(m: Message): Uint8Array {
  const flat: unknown[] = [];
  for (const e of m.entries) flat.push(e.term, e.index, e.type, e.data);
  return v1(1, [
    m.type, m.to, m.from, m.term, m.logTerm, m.index, m.commit, m.reject, m.rejectHint, flat,
    m.snapshot === undefined ? null : snapshotBody(m.snapshot), m.context ?? null,
  ]);
}

/** Version 1 `encodeEntry`. */
export function encodeEntryV1(e: Entry): Uint8Array {
  return v1(2, [e.term, e.index, e.type, e.data]);
}

/** Version 1 `encodeHardState`. */
export function encodeHardStateV1(hs: HardState): Uint8Array {
  return v1(3, [hs.term, hs.vote, hs.commit]);
}

/** Version 1 `encodeConfState`. */
export function encodeConfStateV1(cs: ConfState): Uint8Array {
  return v1(4, confStateBody(cs));
}

/** Version 1 `encodeSnapshotMetadata`. */
export function encodeSnapshotMetadataV1(md: SnapshotMetadata): Uint8Array {
  return v1(5, metadataBody(md));
}

/** Version 1 `encodeConfChangeRecord`. */
export function encodeConfChangeRecordV1(cc: ConfChange): Uint8Array {
  return v1(6, [cc.type, cc.nodeId, cc.context ?? null]);
}

/** Version 1 `encodeConfChangeV2Record`. */
export function encodeConfChangeV2RecordV1(cc: ConfChangeV2): Uint8Array {
  const flat: number[] = [];
  for (const c of cc.changes) flat.push(c.type, c.nodeId);
  return v1(7, [cc.transition, flat, cc.context ?? null]);
}

/** A KV command as earlier builds encoded it: the version byte 1, then the command as msgpack. */
export function encodeCommandV1(c: KvCommand): Uint8Array {
  const body = packr.pack(c);
  const out = new Uint8Array(body.length + 1);
  out[0] = 1;
  out.set(body, 1);
  return out;
}

/** A stored KV record as earlier builds encoded it: a msgpack array of its fields. */
export function encodeKvV1(kv: KeyValue): Uint8Array {
  return packr.pack([kv.key, kv.createRevision, kv.modRevision, kv.version, BigInt.asIntN(64, kv.lease), kv.value]);
}
