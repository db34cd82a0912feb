import { afterEach, expect, test } from 'vitest';
import type { Command } from '../../src/replica/state-machine.js';
import { Cluster, KvMachine, set, waitFor } from './helpers/cluster.js';

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

/** A KvMachine that records the entry indexes of each batch it applies. */
class BatchKv extends KvMachine {
  readonly batches: number[][] = [];
  override async apply(commands: readonly Command[]): Promise<number[]> {
    this.batches.push(commands.map((c) => c.index));
    return super.apply(commands);
  }
}

test('each request gets the result of its own command, in runs of one and of many, one run after another', async () => {
  const c = (cluster = new Cluster());
  const sm = new BatchKv();
  const replica = await c.startAlone(sm);
  const single = await replica.propose(set('a', '0'));
  expect(sm.batches.at(-1)).toEqual([single]);
  // Held applies let the next requests pile up into one run.
  let open!: () => void;
  sm.gate = new Promise((resolve) => (open = resolve));
  const blocked = replica.propose(set('a', '1'));
  await waitFor(() => sm.applyCalls > 1, 'the held apply');
  const many = ['2', '3', '4', '5'].map((v) => replica.propose(set('k', v)));
  await waitFor(() => replica.status().commit >= single + 5, 'the requests committed');
  sm.gate = undefined;
  open();
  const results = await Promise.all([blocked, ...many]);
  expect(sm.batches.some((b) => b.length > 1)).toBe(true);
  // A result is its command's index (KvMachine): each request got its own, in order.
  const applied = sm.batches.flat();
  expect(results).toEqual(applied.slice(applied.indexOf(results[0]), applied.indexOf(results[0]) + results.length));
  expect(new Set(results).size).toBe(results.length);
  const after = await replica.propose(set('z', '9'));
  expect(after).toBe(results.at(-1)! + 1);
  expect(sm.batches.at(-1)).toEqual([after]);
});
