import { afterEach, expect, test } from 'vitest';
import { encodeMessageFrame } from '../../src/codec/message.js';
import { MessageType, createMessage } from '../../src/raft/messages.js';
import { Cluster, set } from './helpers/cluster.js';

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

test('metrics() exposes the required Prometheus names, and metricsJSON() the same values', async () => {
  const c = (cluster = await Cluster.create([1, 2, 3], { snapshotEvery: 5 }));
  const leader = await c.waitLeader();
  for (let i = 0; i < 6; i++) await leader.propose(set(`k${i}`, 'v'));
  await c.waitApplied(leader.status().commit);
  const text = await leader.metrics();
  for (const name of [
    'raft_has_leader 1',
    'raft_is_leader 1',
    'raft_leader_changes_seen_total',
    'raft_proposals_committed_total',
    'raft_proposals_applied_total',
    'raft_proposals_pending 0',
    'raft_proposals_failed_total',
    'raft_proposals_duplicate_total',
    'raft_storage_fsync_duration_seconds_bucket',
    'raft_apply_duration_seconds_bucket',
    'raft_snapshot_total{kind="created"}',
    'raft_snapshot_last_index',
    'raft_transport_messages_sent_total{peer=',
    'raft_transport_bytes_received_total{peer=',
    'raft_transport_send_failures_total{peer=',
    'raft_transport_frames_refused_total{peer=',
    'raft_transport_connect_failures_total{peer=',
    'raft_transport_peer_round_trip_seconds',
    'raft_peer_round_trip_time_seconds_bucket{le=',
  ]) {
    expect(text, name).toContain(name);
  }
  const json = await leader.metricsJSON();
  expect(json['raft_is_leader']!.values[0]!.value).toBe(1);
  expect(json['raft_proposals_applied_total']!.values[0]!.value).toBe(leader.status().applied);
  expect(json['raft_proposals_committed_total']!.values[0]!.value).toBe(leader.status().commit);
  const follower = c.running().find((r) => r.id !== leader.id)!;
  expect(await follower.metrics()).toContain('raft_is_leader 0');
  // Registries are per replica: the follower's counters are its own.
  expect(leader.id).not.toBe(follower.id);
});

test('a peer message the node refuses is dropped and counted by code; the replica keeps running', async () => {
  const c = (cluster = await Cluster.create([1, 2, 3]));
  const leader = await c.waitLeader();
  const peer = c.running().find((r) => r.id !== leader.id)!.id;
  // A proposal with no entries passes the transport's checks; the replica's door refuses it
  // (ERR_MESSAGE_REFUSED, rule proposal-entries).
  c.network.injectFrame(peer, leader.id, encodeMessageFrame(createMessage({ type: MessageType.MsgProp, from: peer, to: leader.id })));
  await new Promise((r) => setTimeout(r, 50));
  expect(await leader.metrics()).toContain('raft_messages_refused_total{code="ERR_MESSAGE_REFUSED"} 1');
  expect(leader.lifecycle).toBe('open');
  await expect(leader.propose(set('still', 'works'))).resolves.toBeDefined();
});
