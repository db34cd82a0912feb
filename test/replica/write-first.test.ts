/**
 * The Ready loop starts a Ready's write in the same turn it hands the messages to the
 * transport: a leader's log write is under way before its appends are flushed to the
 * followers' sockets (a transport flushes in a microtask), as etcd's leader writes in parallel
 * with its followers. Messages are still handed over first, and writes stay one at a time.
 */
import { afterEach, expect, test } from 'vitest';
import { MessageType } from '../../src/raft/messages.js';
import type { SaveRequest } from '../../src/storage/storage.js';
import { StorageWriter } from '../../src/replica/ready-loop.js';
import { type Cluster, clusterWatchingSends, set } from './helpers/cluster.js';

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

test('StorageWriter runs a write at once when none is queued or running, else after the ones before it', async () => {
  const w = new StorageWriter();
  const log: string[] = [];
  let release!: () => void;
  const first = w.run(() => {
    log.push('first');
    return new Promise<void>((r) => (release = r));
  });
  expect(log).toEqual(['first']); // in the caller's turn
  const second = w.run(() => {
    log.push('second');
  });
  const third = w.run(() => {
    throw new Error('third fails');
  });
  await Promise.resolve();
  expect(log).toEqual(['first']); // waits for the first
  release();
  await first;
  await second;
  await expect(third).rejects.toThrow('third fails');
  expect(log).toEqual(['first', 'second']);
  await w.idle();
  void w.run(() => log.push('fourth'));
  expect(log).toEqual(['first', 'second', 'fourth']); // idle again: at once
});

test("a leader's log write starts before its appends are flushed to the transport", async () => {
  const log: string[] = [];
  const c = (cluster = await clusterWatchingSends((id, messages) => {
    // As a TCP transport does: the socket write happens once the caller's microtasks run.
    if (messages.some((m) => m.type === MessageType.MsgApp && m.entries.length > 0)) queueMicrotask(() => log.push(`flushed by ${id}`));
  }));
  const leader = await c.waitLeader();
  const storage = c.storages.get(leader.id)!;
  const save = storage.save.bind(storage);
  storage.save = (req: SaveRequest) => {
    if (req.entries.length > 0) log.push(`saved by ${leader.id}`);
    return save(req);
  };
  await c.waitApplied(await leader.propose(set('warm', 'up')));
  log.length = 0;
  await c.waitApplied(await leader.propose(set('k', 'v')));
  expect(log.slice(0, 2)).toEqual([`saved by ${leader.id}`, `flushed by ${leader.id}`]);
});
