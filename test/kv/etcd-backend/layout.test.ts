import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { SnapshotCorruptError } from '../../../src/kv/bbolt/errors.js';
import { decodeMember, encodeMember, memberKey } from '../../../src/kv/etcd-backend/layout.js';
import { ProtoError, decodeKeyValue, decodeLease, encodeAlarm, encodeKeyValue, encodeLease, decodeAlarm } from '../../../src/kv/etcd-backend/proto.js';
import { decodeRevKey, encodeRevKey } from '../../../src/kv/etcd-backend/revision.js';
import { appendSha256, verifySnapshotFile } from '../../../src/kv/etcd-backend/snapshot-file.js';

const enc = new TextEncoder();
const bytes = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const dir = mkdtempSync(join(tmpdir(), 'raftkit-layout-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('etcd backend encodings (bytes seen in files etcd 3.4 wrote)', () => {
  test('mvccpb.KeyValue', () => {
    const kv = { key: enc.encode('a'), createRevision: 2, modRevision: 2, version: 1, value: enc.encode('1'), lease: 0n };
    const wire = bytes('\n\x01a\x10\x02\x18\x02 \x01*\x011');
    expect(encodeKeyValue(kv)).toEqual(wire);
    expect(decodeKeyValue(wire)).toEqual(kv);
    expect(encodeKeyValue({ ...kv, createRevision: 0, modRevision: 0, version: 0, value: new Uint8Array(0) })).toEqual(bytes('\n\x01a'));
  });

  test('leasepb.Lease with a 62-bit id', () => {
    const lease = { id: 4111120444079866633n, ttl: 100, remainingTtl: 0 };
    const wire = bytes('\x08\x89\x86\xe8\x91\xb2\xc8\xe8\x869\x10d');
    expect(encodeLease(lease)).toEqual(wire);
    expect(decodeLease(wire)).toEqual(lease);
  });

  test('AlarmMember round-trips', () => {
    const a = { memberId: 0xbdae9bbc11dd390dn, alarm: 1 };
    expect(decodeAlarm(encodeAlarm(a))).toEqual(a);
  });

  test('malformed protobuf is refused with ProtoError', () => {
    expect(() => decodeKeyValue(bytes('\n\x05ab'))).toThrow(ProtoError);
    expect(() => decodeKeyValue(bytes('\x10'))).toThrow(/truncated varint/);
  });

  test('revision keys: 8-byte big-endian main, _, 8-byte sub, optional t', () => {
    expect(encodeRevKey({ main: 5, sub: 0 }, true)).toEqual(bytes('\0\0\0\0\0\0\0\x05_\0\0\0\0\0\0\0\0t'));
    expect(decodeRevKey(encodeRevKey({ main: 2 ** 40, sub: 3 }))).toEqual({ main: 2 ** 40, sub: 3, tombstone: false });
    expect(() => decodeRevKey(enc.encode('short'))).toThrow(SnapshotCorruptError);
  });

  test('members: hex key, JSON with the uint64 id as a bare number', () => {
    const m = { id: 13668033151171901709n, peerURLs: ['http://127.0.0.1:23801'], isLearner: false, name: 'e1', clientURLs: ['http://127.0.0.1:23791'] };
    const json = '{"id":13668033151171901709,"peerURLs":["http://127.0.0.1:23801"],"name":"e1","clientURLs":["http://127.0.0.1:23791"]}';
    expect(memberKey(m.id)).toBe('bdae9bbc11dd390d');
    expect(encodeMember(m)).toBe(json);
    expect(decodeMember('bdae9bbc11dd390d', json)).toEqual(m);
    expect(encodeMember({ ...m, isLearner: true, name: '', clientURLs: [] })).toBe('{"id":13668033151171901709,"peerURLs":["http://127.0.0.1:23801"],"isLearner":true}');
  });
});

describe('snapshot file sha256 trailer', () => {
  test('appended digest verifies; a wrong one is refused with problem sha256', async () => {
    const path = join(dir, 'db');
    writeFileSync(path, new Uint8Array(8192).fill(3));
    expect(await verifySnapshotFile(path)).toEqual({ dbLength: 8192, hasSha256: false });
    await appendSha256(path);
    expect(await verifySnapshotFile(path)).toEqual({ dbLength: 8192, hasSha256: true });
    const bad = new Uint8Array(8192 + 32).fill(3);
    writeFileSync(path, bad);
    await expect(verifySnapshotFile(path)).rejects.toMatchObject({ code: 'ERR_SNAPSHOT_CORRUPT', problem: 'sha256' });
  });
});
