import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { writeEtcdBackend } from '../../../src/kv/etcd-backend/backend-writer.js';
import { memberDataPaths, runRestoreCommand } from '../../../src/kv/etcd-backend/restore-command.js';
import { appendSha256 } from '../../../src/kv/etcd-backend/snapshot-file.js';
import { KvStateMachine } from '../../../src/kv/kv-state-machine.js';
import { compact, rowsOf, workload } from './history.js';

const txns = workload(50, 5n);
const rows = compact(rowsOf(txns), 40);
const dir = mkdtempSync(join(tmpdir(), 'raftkit-restore-cmd-'));
const file = join(dir, 'snap.db');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(async () => {
  await writeEtcdBackend(file, {
    revisions: rows, leases: [{ id: 5n, ttl: 30, remainingTtl: 0 }], consistentIndex: 1n, scheduledCompactRevision: 40, finishedCompactRevision: 40,
    members: [], removedMembers: [], clusterVersion: '3.4.0', alarms: [],
  });
  await appendSha256(file);
});

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runRestoreCommand(args, (line, toStderr) => (toStderr ? (err += line + '\n') : (out += line + '\n')));
  return { code, out, err };
}

describe('raftkit restore', () => {
  test('prepares a data dir a member opens with the same revision, leases and compaction', async () => {
    const dataDir = join(dir, 'member1');
    const r = await run(file, '--data-dir', dataDir);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toContain(`revision ${String(txns.length + 1)}, ${String(rows.length)} revisions, compacted at 40, 1 leases, sha256 verified`);
    expect(readdirSync(join(dataDir, 'member'))).toEqual(['kv']); // the Raft log (member/wal) starts empty
    const db = new ClassicLevel<Uint8Array, Uint8Array>(memberDataPaths(dataDir).kv, { keyEncoding: 'view', valueEncoding: 'view' });
    try {
      const sm = new KvStateMachine({ db });
      await sm.ready();
      expect(sm.store.rev).toBe(txns.length + 1);
      expect(sm.store.leases.get(5n)?.ttl).toBe(30);
      expect(await sm.appliedIndex()).toBe(0);
    } finally {
      await db.close();
    }
  });

  test('refuses an existing data dir, a damaged file and bad usage', async () => {
    const used = join(dir, 'used');
    expect((await run(file, `--data-dir=${used}`)).code).toBe(0);
    const again = await run(file, '--data-dir', used);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/exists and is not empty/);

    const bad = join(dir, 'bad.db');
    const bytes = readFileSync(file);
    bytes[2 * 4096 + 200]! ^= 1;
    writeFileSync(bad, bytes);
    const fresh = join(dir, 'fresh');
    const refused = await run(bad, '--data-dir', fresh);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/snapshot file is corrupt \(sha256\)/);
    expect(readdirSync(fresh)).toEqual([]);

    // A backend file without the SHA-256 trailer: refused unless --skip-hash-check, as etcdctl.
    const plain = join(dir, 'plain.db');
    writeFileSync(plain, readFileSync(file).subarray(0, readFileSync(file).length - 32));
    const unchecked = await run(plain, '--data-dir', join(dir, 'plain-1'));
    expect(unchecked).toMatchObject({ code: 1, err: 'raftkit restore: snapshot missing hash but --skip-hash-check=false\n' });
    const skipped = await run(plain, '--skip-hash-check', '--data-dir', join(dir, 'plain-2'));
    expect(skipped.code, skipped.err).toBe(0);
    expect(skipped.out).toContain('no sha256 trailer');

    expect((await run('--data-dir', fresh)).code).toBe(2);
    expect((await run(file, 'extra', '--data-dir', fresh)).code).toBe(2);
  });
});
