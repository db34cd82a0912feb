import { MemoryLevel } from 'memory-level';
import { expect, test } from 'vitest';
import { encodeCommand, type KvCommand } from '../../src/kv/commands.js';
import { KvStateMachine } from '../../src/kv/kv-state-machine.js';
import { kvWatchSource } from '../../src/kv/watch/kv-watch-source.js';
import { WatchHub } from '../../src/kv/watch/watch-hub.js';
import { Reader } from './watch-helpers.js';

const newDb = () => new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' });

async function machine(): Promise<KvStateMachine> {
  const sm = new KvStateMachine({ db: newDb() });
  await sm.appliedIndex();
  return sm;
}

let index = 0;
async function apply(sms: KvStateMachine[], cmds: KvCommand[]): Promise<void> {
  const batch = cmds.map((c) => ({ index: ++index, term: 1, data: encodeCommand(c) }));
  for (const sm of sms) await sm.apply(batch);
}

const put = (key: string, value: string): KvCommand => ({ op: 'put', req: { key, value } });

// The simulated KV-with-watches workload found it: a member that installs a snapshot jumps
// over revisions it never applied one by one, so its synced watchers silently skipped them.
// Now every watcher goes back to catching up from storage, as etcd's watchableStore.Restore does.
test('reliable across a snapshot restore: watchers on a member that installs a snapshot get the revisions it covers, once', async () => {
  index = 0;
  const behind = await machine();
  const ahead = await machine();
  await apply([behind, ahead], [put('a', '1'), put('b', '1')]);
  const hub = new WatchHub(kvWatchSource(behind, (revision) => ({ clusterId: 0n, memberId: 1n, revision, raftTerm: 1 })), { maxBacklog: 4, revisionsPerRead: 2 });
  const live = new Reader(hub.watch(new TextEncoder().encode('a'), new TextEncoder().encode('c'), {}));
  const all = new Reader(hub.watch(new TextEncoder().encode('a'), new TextEncoder().encode('c'), { startRevision: 1 }));
  await live.until(() => true, 'nothing');
  await all.until(() => all.events().length === 2, 'the first two events');
  // `ahead` applies revisions 4..9 that `behind` will only get through a snapshot.
  await apply([ahead], [put('a', '2'), { op: 'txn', req: { compare: [], success: [{ requestPut: { key: 'b', value: '2' } }, { requestDeleteRange: { key: 'a' } }] } }, put('c', 'out of range'), put('a', '3'), put('b', '3')]);
  await behind.restore({ index, term: 1, data: await ahead.snapshot() });
  await apply([behind, ahead], [put('a', '4')]);
  const want = ['4:PUT:a=2', '5:PUT:b=2', '5:DEL:a', '7:PUT:a=3', '8:PUT:b=3', '9:PUT:a=4'];
  await live.until(() => live.events().length >= want.length, 'every event after the restore');
  expect(live.events()).toEqual(want);
  await all.until(() => all.events().length >= want.length + 2, 'every event');
  expect(all.events()).toEqual(['2:PUT:a=1', '3:PUT:b=1', ...want]);
  // A revision is still never split across batches (a catch-up batch holds several whole ones).
  const batchOf = new Map<number, number>();
  all.batches.forEach((b, i) => {
    for (const e of b.events) {
      expect(batchOf.get(e.kv.modRevision) ?? i).toBe(i);
      batchOf.set(e.kv.modRevision, i);
    }
  });
  hub.close();
});
