import assert from 'node:assert/strict';
import type { Storage, StorageCapabilities } from '../../storage/storage.js';
import type { SnapshotStreams } from '../../storage/storage.js';
import { code, conf, ent, payload, seed, show, snap, type SuiteTest } from './storage-suite.js';

/** Everything a reader can observe, for before/after comparisons. */
function observe(s: Storage): unknown {
  const first = s.firstIndex();
  const last = s.lastIndex();
  const snapshot = s.snapshot();
  return {
    initialState: s.initialState(),
    first,
    last,
    terms: Array.from({ length: last - first + 2 }, (_, k) => s.term(first - 1 + k)),
    entries: show(s.entries(first, last + 1, Infinity)),
    snapshot: { metadata: snapshot.metadata, data: Array.from(snapshot.data) },
  };
}

/** Builds a state that uses every kind of write: snapshot, entries, truncation, hard state, compaction. */
async function busyHistory(s: Storage): Promise<void> {
  await seed(s, 9);
  await s.save({ hardState: { term: 9, vote: 1, commit: 7 }, entries: [ent(8, 9), ent(9, 9), ent(10, 9)], sync: true });
  await s.createSnapshot(6, conf(1, 2, 3, 4), payload(6, 6, 3000));
  await s.compact(5);
}

function streams(s: Storage): SnapshotStreams {
  return s as unknown as SnapshotStreams;
}

async function collect(it: AsyncIterable<Uint8Array>): Promise<number[]> {
  const out: number[] = [];
  for await (const c of it) for (const b of c) out.push(b);
  return out;
}

/** Calls `snapshot()` until it stops answering ERR_SNAPSHOT_TEMPORARILY_UNAVAILABLE (bounded). */
async function settledSnapshot(s: Storage): Promise<ReturnType<Storage['snapshot']>> {
  for (let attempt = 0; ; attempt++) {
    try {
      return s.snapshot();
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'ERR_SNAPSHOT_TEMPORARILY_UNAVAILABLE' || attempt >= 10_000) throw err;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
}

/**
 * The lifecycle, durability and snapshot-stream groups of the storage suite.
 *
 * @internal
 */
export function registerLifecycleTests(
  t: SuiteTest,
  caps: StorageCapabilities,
  hooks: { reopen: boolean; crash: boolean },
): void {
  t('status is open after open, and open is idempotent', async ({ storage: s }) => {
    assert.equal(s.status, 'open');
    await s.open();
    assert.equal(s.status, 'open');
  });

  if (caps.checkedCalls) {
    t('calls after close are refused with ERR_NOT_OPEN', async ({ storage: s }) => {
      await seed(s);
      await s.close();
      assert.equal(s.status, 'closed');
      await s.close();
      const notOpen = code('ERR_NOT_OPEN');
      assert.throws(() => s.term(4), notOpen);
      assert.throws(() => s.lastIndex(), notOpen);
      assert.throws(() => s.entries(4, 5, Infinity), notOpen);
      await assert.rejects(async () => s.save({ entries: [ent(6, 5)], sync: true }), notOpen);
      await assert.rejects(async () => s.compact(4), notOpen);
      await assert.rejects(async () => s.createSnapshot(4, undefined, new Uint8Array(0)), notOpen);
      await s.open();
    });

    t('writes made while opening wait for the open', async ({ storage: s }) => {
      await s.close();
      const opening = s.open();
      assert.equal(s.status, 'opening');
      const saved = s.save({ entries: [ent(1, 1)], sync: true });
      await opening;
      await saved;
      assert.equal(s.lastIndex(), 1);
    });

    t('concurrent writes apply in call order and close waits for them', async ({ storage: s }) => {
      const writes = [1, 2, 3, 4].map((i) => s.save({ entries: [ent(i, 1)], sync: i % 2 === 0 }));
      const closed = s.close();
      await Promise.all([...writes, closed]);
      await s.open();
      assert.equal(s.lastIndex(), 4);
      assert.deepEqual(show(s.entries(1, 5, Infinity)), show([1, 2, 3, 4].map((i) => ent(i, 1))));
    });
  }

  if (hooks.reopen) {
    t('reopen after close keeps everything', async (ctx) => {
      await busyHistory(ctx.storage);
      const before = observe(ctx.storage);
      const s = await ctx.reopen!();
      assert.deepEqual(observe(s), before);
      await s.save({ entries: [ent(11, 9)], sync: true });
      assert.equal(s.lastIndex(), 11);
    });

    t('reopen of an empty storage is still empty', async (ctx) => {
      const s = await ctx.reopen!();
      assert.equal(s.firstIndex(), 1);
      assert.equal(s.lastIndex(), 0);
      assert.deepEqual(s.initialState().hardState, { term: 0, vote: 0, commit: 0 });
    });
  }

  if (hooks.crash) {
    t('a crash keeps every save that resolved', async (ctx) => {
      await busyHistory(ctx.storage);
      await ctx.storage.save({ hardState: { term: 9, vote: 1, commit: 9 }, entries: [ent(11, 9)], sync: true });
      const before = observe(ctx.storage);
      const s = await ctx.crash!();
      assert.deepEqual(observe(s), before);
    });

    t('a crash after an applied snapshot keeps the snapshot and what follows', async (ctx) => {
      await seed(ctx.storage);
      await ctx.storage.save({ snapshot: snap(20, 8), entries: [ent(21, 8)], hardState: { term: 8, vote: 0, commit: 20 }, sync: true });
      const before = observe(ctx.storage);
      const s = await ctx.crash!();
      assert.deepEqual(observe(s), before);
    });
  }

  if (!caps.snapshotStreams) return;

  t('writeSnapshot stores chunks that readSnapshotChunks returns', async (ctx) => {
    await seed(ctx.storage, 8);
    const data = payload(7, 7, (5 << 19) + 123); // 2.5 MiB and a bit: several 1 MiB chunks
    const parts = [data.subarray(0, 100), data.subarray(100, 1 << 20), data.subarray(1 << 20)];
    async function* gen(): AsyncGenerator<Uint8Array> {
      for (const p of parts) {
        await Promise.resolve();
        yield p;
      }
    }
    const md = await streams(ctx.storage).writeSnapshot({ index: 7, term: 7, confState: conf(4, 5) }, gen());
    assert.deepEqual(md, { index: 7, term: 7, confState: conf(4, 5) });
    const got = await collect(streams(ctx.storage).readSnapshotChunks(7));
    assert.equal(got.length, data.length);
    assert.ok(got.every((b, k) => b === data[k]));
    const assembled = await settledSnapshot(ctx.storage);
    assert.deepEqual(assembled.metadata, md);
    assert.ok(Buffer.from(assembled.data).equals(Buffer.from(data)));
    if (ctx.reopen !== undefined) {
      const s = await ctx.reopen();
      assert.ok(Buffer.from((await settledSnapshot(s)).data).equals(Buffer.from(data)));
    }
  });

  t('snapshot streams refuse the wrong index', async (ctx) => {
    await seed(ctx.storage);
    const st = streams(ctx.storage);
    await assert.rejects(collect(st.readSnapshotChunks(4)), code('ERR_SNAP_OUT_OF_DATE'));
    await assert.rejects(async () => st.writeSnapshot({ index: 3, term: 3, confState: conf(1) }, []), code('ERR_SNAP_OUT_OF_DATE'));
    await assert.rejects(async () => st.writeSnapshot({ index: 9, term: 5, confState: conf(1) }, []), code('ERR_UNAVAILABLE'));
    assert.deepEqual(await collect(st.readSnapshotChunks(3)), Array.from(snap(3, 3).data));
  });
}
