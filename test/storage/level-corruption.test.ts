import { MemoryLevel } from 'memory-level';
import { describe, expect, test } from 'vitest';
import { EntryType, type Entry } from '../../src/raft/entry.js';
import { CorruptStorageError } from '../../src/storage/errors.js';
import { chunkKey, KEY_HARD_STATE, logKey } from '../../src/storage/keys.js';
import { LevelStorage } from '../../src/storage/level-storage.js';

type Db = MemoryLevel<Uint8Array, Uint8Array>;

function ent(index: number, term: number): Entry {
  return { index, term, type: EntryType.EntryNormal, data: new Uint8Array([index, term, 1, 2, 3]) };
}

/** A store with entries 1..6 (term 1), commit 3. */
async function build(): Promise<Db> {
  const db: Db = new MemoryLevel({ keyEncoding: 'view', valueEncoding: 'view' });
  const s = await LevelStorage.open({ db });
  await s.save({ hardState: { term: 1, vote: 1, commit: 3 }, entries: [1, 2, 3, 4, 5, 6].map((i) => ent(i, 1)), sync: true });
  await s.close();
  return db;
}

function sub(db: Db, name: string) {
  return db.sublevel<Uint8Array, Uint8Array>(name, { keyEncoding: 'view', valueEncoding: 'view' });
}

async function flipByte(db: Db, name: string, key: Uint8Array, at = -1): Promise<void> {
  const s = sub(db, name);
  const v = (await s.get(key))!;
  const copy = Uint8Array.from(v);
  const k = at < 0 ? copy.length + at : at;
  copy[k] = copy[k]! ^ 0x40;
  await s.put(key, copy);
}

async function openError(db: Db): Promise<CorruptStorageError> {
  const err = await LevelStorage.open({ db }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CorruptStorageError);
  return err as CorruptStorageError;
}

describe('LevelStorage corruption on open', () => {
  test('a bad last entry above commit is cut, reported, and the cut is durable', async () => {
    const db = await build();
    await flipByte(db, 'log', logKey(6));
    const s = await LevelStorage.open({ db });
    expect(s.lastIndex()).toBe(5);
    expect(s.recovery).toEqual({ truncatedFrom: 6, removed: 1, reason: 'checksum mismatch' });
    await s.close();
    const again = await LevelStorage.open({ db });
    expect(again.recovery).toBeUndefined();
    expect(again.lastIndex()).toBe(5);
  });

  test('a torn tail of several bad entries above commit is cut from the first', async () => {
    const db = await build();
    await flipByte(db, 'log', logKey(5), 2);
    await flipByte(db, 'log', logKey(6), 3);
    const s = await LevelStorage.open({ db });
    expect(s.lastIndex()).toBe(4);
    expect(s.recovery?.truncatedFrom).toBe(5);
    expect(s.recovery?.removed).toBe(2);
  });

  test('a bad entry at or below commit fails with ERR_CORRUPT naming the index', async () => {
    const db = await build();
    await flipByte(db, 'log', logKey(3));
    const err = await openError(db);
    expect(err.code).toBe('ERR_CORRUPT');
    expect(err.index).toBe(3);
  });

  test('a bad entry followed by a valid one fails even above commit', async () => {
    const db = await build();
    await flipByte(db, 'log', logKey(5));
    const err = await openError(db);
    expect(err.index).toBe(5);
    expect(err.message).toMatch(/valid record follows at 6/);
  });

  test('a missing entry in the middle fails', async () => {
    const db = await build();
    await sub(db, 'log').del(logKey(4));
    const err = await openError(db);
    expect(err.index).toBe(4);
  });

  test('a log that ends below the commit index fails', async () => {
    const db = await build();
    await sub(db, 'log').batch([3, 4, 5, 6].map((i) => ({ type: 'del' as const, key: logKey(i) })));
    const err = await openError(db);
    expect(err.index).toBe(3);
    expect(err.message).toMatch(/below commit 3/);
  });

  test('a bad hard state fails', async () => {
    const db = await build();
    await flipByte(db, 'meta', KEY_HARD_STATE);
    const err = await openError(db);
    expect(err.record).toBe('hard state');
  });

  test('a bad or missing snapshot chunk fails, naming the snapshot index', async () => {
    const db = await build();
    const s = await LevelStorage.open({ db, snapshotChunkSize: 4 });
    await s.createSnapshot(3, undefined, new Uint8Array(10));
    await s.close();
    await flipByte(db, 'snap', chunkKey(3, 1));
    expect((await openError(db)).index).toBe(3);
    await sub(db, 'snap').del(chunkKey(3, 1));
    expect((await openError(db)).message).toMatch(/chunk 1 is missing/);
  });

  test('chunks of an interrupted writeSnapshot are removed on open', async () => {
    const db = await build();
    await sub(db, 'snap').put(chunkKey(5, 0), new Uint8Array([1, 2, 3, 4, 5]));
    const s = await LevelStorage.open({ db });
    expect(s.snapshot().metadata.index).toBe(0);
    await s.close();
    expect(await sub(db, 'snap').keys().all()).toEqual([]);
  });
});
