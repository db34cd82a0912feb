import { afterEach, expect, test } from 'vitest';
import type { Command } from '../../src/replica/state-machine.js';
import { Cluster, KvMachine, set, waitFor } from './helpers/cluster.js';

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

/** A KvMachine (its applies wait for `gate` while it is set) that records apply and close events. */
class GatedKv extends KvMachine {
  readonly events: string[] = [];

  override async apply(commands: readonly Command[]): Promise<number[]> {
    this.events.push('apply start');
    const out = await super.apply(commands);
    this.events.push('apply end');
    return out;
  }

  close(): void {
    this.events.push('close');
  }
}

test('stop() closes the state machine only after the apply in progress has finished', async () => {
  const c = (cluster = new Cluster());
  const sm = new GatedKv();
  const replica = await c.startAlone(sm);
  await replica.propose(set('a', '1'));
  let open!: () => void;
  sm.gate = new Promise((resolve) => (open = resolve));
  sm.events.length = 0;
  void replica.propose(set('b', '2')).catch(() => undefined);
  await waitFor(() => sm.events.includes('apply start'), 'the apply to start');
  const stopped = replica.stop();
  // Let stop() run as far as it can while the apply is held.
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
  open();
  await stopped;
  expect(sm.events).toEqual(['apply start', 'apply end', 'close']);
});
