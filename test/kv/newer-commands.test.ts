import { afterEach, expect, test } from 'vitest';
import { BINARY_TAG } from '../../src/kv/command-binary.js';
import { UnknownCommandError } from '../../src/kv/errors.js';
import type { KvResult } from '../../src/kv/kv-state-machine.js';
import { KvCluster } from './kv-cluster.js';

let cluster: KvCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

// A member not yet upgraded applies the commands of a kind a newer raftkit added (say, a
// corruption check proposed by an upgraded member) as no-ops, and keeps applying: it neither
// stops nor diverges on what it knows.
test('a committed command of a kind this build does not know is a counted no-op on every member, which keeps applying', async () => {
  const c = (cluster = await KvCluster.create(3));
  const leader = await c.waitLeader();
  await c.client(leader.id).put('before', '1');
  const newer = Uint8Array.of(BINARY_TAG, 250, 1, 2, 3);
  const r = (await leader.propose(newer)) as KvResult;
  expect(r.ok).toBe(false);
  expect(!r.ok && r.error).toBeInstanceOf(UnknownCommandError);
  expect(!r.ok && r.error.code).toBe('ERR_KV_UNKNOWN_COMMAND');
  await c.client(leader.id).put('after', '2');
  await c.waitApplied(leader.status().commit);
  for (const id of [1, 2, 3]) {
    expect(c.replicas.get(id)!.lifecycle).toBe('open');
    expect(c.client(id).stateMachine.unknownCommandsApplied).toBe(1);
    expect((await c.client(id).range('after', { serializable: true })).kvs.map((kv) => new TextDecoder().decode(kv.value))).toEqual(['2']);
    expect(await c.replicas.get(id)!.metricsRegistry.getSingleMetricAsString('raftkit_kv_unknown_commands_total')).toMatch(/raftkit_kv_unknown_commands_total 1$/m);
  }
});
