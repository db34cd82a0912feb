import { MemoryLevel } from 'memory-level';
import { describe, expect, test } from 'vitest';
import { encodeCommand } from '../../src/kv/commands.js';
import type { KvCommand } from '../../src/kv/commands.js';
import { KvStateMachine } from '../../src/kv/kv-state-machine.js';
import { range } from '../../src/kv/mvcc/range.js';
import { concatBytes } from '../../src/kv/record.js';
import { decodeKvSnapshot } from '../../src/kv/snapshot-format.js';
import { dec, msgpackFrame } from './helpers.js';

const newDb = () => new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' });

async function filled(): Promise<KvStateMachine> {
  const sm = new KvStateMachine({ db: newDb() });
  await sm.appliedIndex();
  const cmds: KvCommand[] = [{ op: 'leaseGrant', id: 5n, ttl: 100 }];
  for (let i = 0; i < 6000; i++) cmds.push({ op: 'put', req: { key: `k${i % 3000}`, value: `v${i}`, lease: i % 100 === 0 ? 5n : 0n } });
  cmds.push({ op: 'deleteRange', req: { key: 'k1', rangeEnd: 'k2' } }, { op: 'compact', req: { revision: 4000 } });
  await sm.apply(cmds.map((c, i) => ({ index: i + 1, term: 1, data: encodeCommand(c) })));
  return sm;
}

/** Re-cuts a byte stream into chunks of `size` bytes (the replica may store and send it so). */
async function* recut(chunks: AsyncIterable<Uint8Array>, size: number): AsyncGenerator<Uint8Array> {
  let buf: Uint8Array = new Uint8Array(0);
  for await (const c of chunks) {
    buf = concatBytes([buf, c]);
    while (buf.byteLength >= size) {
      yield buf.slice(0, size);
      buf = buf.slice(size);
    }
  }
  if (buf.byteLength > 0) yield buf;
}

async function everything(sm: KvStateMachine): Promise<string[]> {
  const r = await range(sm.store.readView(), { key: '\0', rangeEnd: '\0' });
  return r.kvs.map((kv) => `${dec(kv.key)}=${dec(kv.value)}@${kv.createRevision}/${kv.modRevision}/v${kv.version}/l${kv.lease}`);
}

describe('KV snapshots (streamed frames)', () => {
  test('restoring chunks cut anywhere gives the same state, revision, compaction, leases and applied index', async () => {
    const src = await filled();
    const dst = new KvStateMachine({ db: newDb() });
    await dst.appliedIndex();
    await dst.restoreChunks({ index: 77, term: 3, chunks: recut(src.snapshotChunks(), 65_537) });
    expect(await everything(dst)).toEqual(await everything(src));
    expect([dst.store.rev, dst.store.compactRev]).toEqual([src.store.rev, 4000]);
    expect(dst.store.leases.get(5n)?.keys.size).toBe(src.store.leases.get(5n)?.keys.size);
    const again = new KvStateMachine({ db: (dst as unknown as { backend: { db: unknown } }).backend.db as never });
    expect(await again.appliedIndex()).toBe(77);
    await expect(range(dst.store.readView(), { key: 'k3', revision: 3999 })).rejects.toMatchObject({ code: 'ERR_COMPACTED' });
  }, 30_000);

  test('the buffered snapshot() is the concatenation of the chunks and restore() reads it', async () => {
    const src = await filled();
    const dst = new KvStateMachine({ db: newDb() });
    await dst.restore({ index: 9, term: 1, data: await src.snapshot() });
    expect(await everything(dst)).toEqual(await everything(src));
  }, 30_000);

  test('record groups are binary (format 4); a snapshot of format 3 (msgpack groups) is still read; a binary group that runs short is refused', async () => {
    const src = await filled();
    const data = await src.snapshot();
    const at = new DataView(data.buffer, data.byteOffset).getUint32(0) + 4; // the first group's frame, after the header's
    expect(data[at + 4]).toBe(0xc1);
    // The same records as format 3: msgpack bodies.
    const { header, items } = await decodeKvSnapshot([data]);
    const groups = { r: [] as [Uint8Array, Uint8Array][], l: [] as [Uint8Array, Uint8Array][], a: [] as [Uint8Array, Uint8Array][], m: [] as [Uint8Array, Uint8Array][] };
    const tag = { rev: 'r', lease: 'l', alarm: 'a', member: 'm' } as const;
    for await (const it of items) groups[tag[it.kind]].push([it.key, it.value]);
    const frame = msgpackFrame;
    const v3 = [
      frame(['raftkit-kv', 3, header.compactRev ?? -1, header.rev]),
      ...(['r', 'l', 'a', 'm'] as const).filter((t) => groups[t].length > 0).map((t) => frame([t, groups[t]])),
      frame(['end', groups.r.length, groups.l.length, groups.a.length, groups.m.length]),
    ];
    const dst = new KvStateMachine({ db: newDb() });
    await dst.restore({ index: 9, term: 1, data: concatBytes(v3) });
    expect(await everything(dst)).toEqual(await everything(src));
    expect(groups.r.length).toBeGreaterThan(1000);
    // One more record claimed than the group holds.
    const bad = data.slice();
    const dv = new DataView(bad.buffer);
    dv.setUint32(at + 6, dv.getUint32(at + 6) + 1);
    await expect(new KvStateMachine({ db: newDb() }).restore({ index: 9, term: 1, data: bad })).rejects.toMatchObject({ code: 'ERR_KV_BAD_SNAPSHOT' });
  }, 30_000);

  test('a truncated snapshot is refused', async () => {
    const src = await filled();
    const data = await src.snapshot();
    const dst = new KvStateMachine({ db: newDb() });
    await expect(dst.restore({ index: 9, term: 1, data: data.subarray(0, data.byteLength - 3) })).rejects.toMatchObject({ code: 'ERR_KV_BAD_SNAPSHOT' });
  }, 30_000);
});
