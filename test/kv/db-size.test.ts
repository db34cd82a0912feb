import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { KvClient } from '../../src/kv/kv-client.js';
import { KvStateMachine } from '../../src/kv/kv-state-machine.js';
import { LevelStorage } from '../../src/storage/level-storage.js';
import { InProcessNetwork } from '../../src/transport/in-process.js';
import { Replica } from '../../src/replica/replica.js';

test('on classic-level, Status and etcd_mvcc_db_total_size_in_bytes count what LevelDB has not flushed yet (never below the bytes in use)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'raftkit-dbsize-'));
  const storage = await LevelStorage.open({ path: join(dir, 'db') });
  const stateMachine = new KvStateMachine({ storage });
  const replica = await Replica.start({
    id: 1, peers: [{ id: 1, address: 'inproc://1' }], storage,
    transport: new InProcessNetwork().transport(1), stateMachine,
  });
  try {
    const kv = new KvClient(replica);
    for (let i = 0; i < 20; i++) await kv.put(`k${i}`, 'v'.repeat(1000));
    await stateMachine.flush();
    const s = await kv.maintenance.status();
    expect(s.dbSizeInUse).toBeGreaterThan(20_000);
    expect(s.dbSize).toBeGreaterThanOrEqual(s.dbSizeInUse); // LevelDB alone reports 0 here: all of it is still in its log
    const text = await replica.metrics();
    const total = Number(/^etcd_mvcc_db_total_size_in_bytes (\d+)$/m.exec(text)?.[1]);
    expect(total).toBeGreaterThanOrEqual(s.dbSizeInUse);
  } finally {
    await replica.stop();
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
