import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { DataDirError, EtcdDataDirError, openDataDir } from '../../src/etcd/cli/member.js';
import { LevelStorage } from '../../src/storage/level-storage.js';
import { WalStorage } from '../../src/storage/wal/wal-storage.js';

const root = mkdtempSync(join(tmpdir(), 'raftkit-datadir-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the raftkit command\'s data dir', () => {
  test('a new data dir keeps the Raft log in a WalStorage (member/wal) and the KV in its own database (member/kv)', async () => {
    const dir = join(root, 'new');
    const { storage, kvDb, closeKvDb } = await openDataDir(dir);
    try {
      expect(storage).toBeInstanceOf(WalStorage);
      expect(kvDb.status).toBe('open');
      expect(existsSync(join(dir, 'member', 'wal'))).toBe(true);
      expect(existsSync(join(dir, 'member', 'kv', 'CURRENT'))).toBe(true);
    } finally {
      await storage.close();
      await closeKvDb();
    }
    // Opened again, it has data of its own (what --experimental-initial-corrupt-check checks).
    const seen: boolean[] = [];
    for (const d of [join(root, 'never'), dir]) {
      const o = await openDataDir(d);
      seen.push(o.initialized);
      await o.storage.close();
      await o.closeKvDb();
    }
    expect(seen).toEqual([false, true]);
  });

  test('an etcd member\'s data dir (its backend, or its WAL) is refused before anything is written in it', async () => {
    for (const [name, file] of [['etcd-db', join('member', 'snap', 'db')], ['etcd-wal', join('member', 'wal', '0000000000000000-0000000000000001.wal')]] as const) {
      const dir = join(root, name);
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      writeFileSync(join(dir, file), 'etcd');
      await expect(openDataDir(dir)).rejects.toMatchObject({ code: 'ERR_ETCD_DATA_DIR', message: expect.stringContaining(`raftkit restore ${join(dir, 'member', 'snap', 'db')} --skip-hash-check --data-dir`) as unknown });
      await expect(openDataDir(dir)).rejects.toBeInstanceOf(EtcdDataDirError);
      expect(existsSync(join(dir, 'member', 'kv'))).toBe(false);
    }
  });

  test('a data dir, WAL dir or database path that is a file is refused with a typed error naming it (classic-level says only "Database failed to open")', async () => {
    const file = join(root, 'a-file');
    writeFileSync(file, 'x');
    await expect(openDataDir(file)).rejects.toThrow(new DataDirError(file, 'it is not a directory'));
    await expect(openDataDir(join(root, 'wal-file'), file)).rejects.toMatchObject({ code: 'ERR_DATA_DIR', message: `error listing data dir: ${file}: it is not a directory` });
    const dir = join(root, 'kv-file');
    mkdirSync(join(dir, 'member'), { recursive: true });
    writeFileSync(join(dir, 'member', 'kv'), 'x');
    const refusal = await openDataDir(dir).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(DataDirError);
    expect((refusal as Error).message).toMatch(new RegExp(`^error listing data dir: ${join(dir, 'member', 'kv')}: the member's database does not open: .+`));
    expect((refusal as Error).message).not.toMatch(/Database failed to open$/);
  });

  test('a data dir made by an earlier version (one LevelDB at its root) opens as it was, with LevelStorage', async () => {
    const dir = join(root, 'old');
    await (await LevelStorage.open({ path: dir })).close();
    const { storage, kvDb, closeKvDb, initialized } = await openDataDir(dir);
    try {
      expect(initialized).toBe(true);
      expect(storage).toBeInstanceOf(LevelStorage);
      expect(storage instanceof LevelStorage && kvDb === storage.db).toBe(true);
      expect(existsSync(join(dir, 'member'))).toBe(false);
    } finally {
      await closeKvDb();
      await storage.close();
    }
  });
});
