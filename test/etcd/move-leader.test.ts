import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import { rawClient, startKvCluster, type KvCluster } from './helpers.js';

// MoveLeader's wait for the target to take over belongs to the call: when the client's deadline
// passes (or it cancels), the server stops waiting, as etcd's MoveLeader does with its context.
let c: KvCluster;
beforeAll(async () => {
  // 50 ms ticks (500 ms election timeouts): a loaded machine's pauses must not elect another leader mid-test.
  c = await startKvCluster([1, 2, 3], {}, undefined, undefined, { requestTimeoutMs: 20_000, tickMs: 50 });
});
afterAll(async () => {
  await c.close();
});

type Call = (r: object, m: Metadata, o: object, cb: (e: ServiceError | null) => void) => { cancel(): void };

function moveLeader(url: string, target: number, deadlineMs: number, cancelWhen?: () => boolean): Promise<ServiceError | null> {
  const client = rawClient('Maintenance', url);
  return new Promise((resolve) => {
    const call = (client['MoveLeader'] as Call).call(client, { targetID: String(target) }, new Metadata(), { deadline: Date.now() + deadlineMs }, (e) => {
      client.close();
      resolve(e);
    });
    if (cancelWhen !== undefined) void vi.waitFor(() => expect(cancelWhen()).toBe(true), { timeout: 10_000 }).then(() => call.cancel());
  });
}

test('a move to a cut-off member stops waiting at the call\'s deadline, or when the client cancels; a later move still works', async () => {
  const leader = await c.leader();
  const [cutOff, other] = [1, 2, 3].filter((id) => id !== leader.id) as [number, number];
  c.network.isolate(cutOff);
  const transfer = vi.spyOn(leader, 'transferLeadership');
  expect((await moveLeader(c.urls.get(leader.id)!, cutOff, 1000))?.code).toBe(status.DEADLINE_EXCEEDED);
  // The server's wait is bounded by the call's deadline, not the replica's 20 s request timeout.
  expect(transfer.mock.calls[0]![1]?.timeoutMs).toBeLessThanOrEqual(1000);
  await expect(transfer.mock.results[0]!.value).rejects.toMatchObject({ code: 'ERR_TIMEOUT' });
  // A call cancelled while the server waits aborts the wait.
  expect((await moveLeader(c.urls.get(leader.id)!, cutOff, 10_000, () => transfer.mock.calls.length === 2))?.code).toBe(status.CANCELLED);
  const signal = transfer.mock.calls[1]![1]?.signal;
  await vi.waitFor(() => expect(signal?.aborted).toBe(true));
  await expect(transfer.mock.results[1]!.value).rejects.toMatchObject({ code: 'ERR_ABORTED' });
  transfer.mockRestore();
  c.network.heal();
  expect(await moveLeader(c.urls.get(leader.id)!, other, 10_000)).toBeNull();
  expect((await c.leader()).id).toBe(other);
});
