import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Command } from '../../src/replica/state-machine.js';
import { KvStateMachine, type KvResult } from '../../src/kv/kv-state-machine.js';
import { callUnary, rawClient, startKvCluster, until, type KvCluster } from './helpers.js';

/** A KV state machine whose `apply` can be held: the test stalls one member's applier. */
class GatedKvStateMachine extends KvStateMachine {
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;

  hold(): void {
    this.gate = new Promise((resolve) => (this.open = resolve));
  }

  release(): void {
    this.open?.();
    this.gate = undefined;
  }

  override async apply(commands: readonly Command[]): Promise<KvResult[]> {
    await this.gate;
    return super.apply(commands);
  }
}

const stalled = 3;
let cluster: KvCluster;
let gated: GatedKvStateMachine;
beforeAll(async () => {
  cluster = await startKvCluster([1, 2, 3], {}, undefined, (id) => {
    const sm = new GatedKvStateMachine({ electionMs: 100 });
    if (id === stalled) gated = sm;
    return sm;
  });
});
afterAll(() => cluster.close());

describe('etcd\'s maxGapBetweenApplyAndCommitIndex', () => {
  test('while more than 5,000 committed entries wait to apply on a member, its writes fail with ResourceExhausted "etcdserver: too many requests"; once it catches up they succeed', async () => {
    const member = cluster.replicas.get(stalled)!;
    const kv = rawClient('KV', cluster.urls.get(stalled)!);
    expect((await callUnary(kv, 'Put', { key: Buffer.from('before'), value: Buffer.from('1') })).err).toBeUndefined();
    gated.hold();
    // 5,100 writes through another member commit cluster-wide; the stalled member does not apply them.
    const writer = cluster.clients.get(1)!;
    const value = new Uint8Array(8);
    for (let i = 0; i < 5100; i += 300) {
      await Promise.all(Array.from({ length: Math.min(300, 5100 - i) }, (_, j) => writer.put(`k${String(i + j)}`, value)));
    }
    await until(() => member.status().commit - member.status().applied > 5000, 'an apply gap above 5000', 20_000);
    const refused = await callUnary(kv, 'Put', { key: Buffer.from('during'), value: Buffer.from('1') });
    expect(refused.err?.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(refused.err?.details).toBe('etcdserver: too many requests');
    // Reads are not refused (etcd refuses only proposals).
    const read = await callUnary(kv, 'Range', { key: Buffer.from('before'), serializable: true });
    expect(read.err).toBeUndefined();
    gated.release();
    await new Promise<void>((resolve) => {
      const check = (): void => {
        const st = member.status();
        if (st.commit - st.applied <= 5000) {
          member.off('applied', check);
          resolve();
        }
      };
      member.on('applied', check);
      check();
    });
    expect((await callUnary(kv, 'Put', { key: Buffer.from('after'), value: Buffer.from('1') })).err).toBeUndefined();
    kv.close();
  }, 60_000);
});
