import { afterEach, expect, test } from 'vitest';
import { StateType } from '../../src/raft/ready.js';
import { Cluster, addr } from './helpers/cluster.js';
import { ManualTime } from './helpers/manual-time.js';

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

test('the leader measures each peer\'s heartbeat round trip: 2 × a fixed link delay', async () => {
  const delayMs = 3;
  const time = new ManualTime();
  // 10 ms ticks, a heartbeat every tick: the round trip (6 ms) is below the heartbeat interval.
  const c = (cluster = new Cluster({ clock: time }, { scheduler: time }));
  c.network.setFaults({ delayMs });
  const peers = [1, 2, 3].map((id) => ({ id, address: addr(id) }));
  await Promise.all(peers.map(({ id }) => c.start(id, { peers })));
  await time.until(() => c.running().some((r) => r.status().role === StateType.Leader), 'a leader');
  const leader = c.running().find((r) => r.status().role === StateType.Leader)!;
  const followers = [1, 2, 3].filter((id) => id !== leader.id);
  await time.advance(200);

  const progress = leader.status().progress!;
  for (const id of followers) expect(progress.get(id)!.rttMs, `peer ${id}`).toBe(2 * delayMs);
  expect(progress.get(leader.id)!.rttMs).toBeUndefined();

  const json = await leader.metricsJSON();
  const hist = json['raft_peer_round_trip_time_seconds']!;
  for (const id of followers) {
    const sample = (suffix: string) => hist.values.find((v) => v.metricName === `raft_peer_round_trip_time_seconds_${suffix}` && v.labels['peer'] === String(id))!.value;
    expect(sample('count'), `peer ${id}`).toBeGreaterThanOrEqual(10);
    expect(sample('sum') / sample('count')).toBeCloseTo((2 * delayMs) / 1000, 9);
  }
  const gauge = json['raft_transport_peer_round_trip_seconds']!.values;
  for (const id of followers) expect(gauge.find((v) => String(v.labels['peer']) === String(id))!.value).toBeCloseTo((2 * delayMs) / 1000, 9);
  expect(await leader.metrics()).toContain(`raft_peer_round_trip_time_seconds_bucket{le="0.0064",peer="${followers[0]}"}`);

  // Followers send no heartbeats, so they measure nothing.
  const follower = c.replicas.get(followers[0]!)!;
  expect(follower.status().progress).toBeUndefined();
  expect((await follower.metricsJSON())['raft_peer_round_trip_time_seconds']!.values.filter((v) => v.metricName?.endsWith('_count'))).toEqual([]);
});
