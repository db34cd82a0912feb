import { afterAll, beforeAll, expect, test } from 'vitest';
import { callUnary, rawClient, startKvCluster, type KvCluster } from './helpers.js';

// The metric names etcd's published Prometheus alerting rules read (etcd-io/etcd
// contrib/mixin/alerts/alerts.libsonnet: etcdMembersDown, etcdNoLeader,
// etcdHighNumberOfLeaderChanges, etcdHighNumberOfFailedGRPCRequests, etcdGRPCRequestsSlow,
// etcdMemberCommunicationSlow, etcdHighNumberOfFailedProposals, etcdHighFsyncDurations,
// etcdHighCommitDurations, etcdDatabaseQuotaLowSpace, etcdExcessiveDatabaseGrowth,
// etcdDatabaseHighFragmentationRatio). `up` is Prometheus' own and not listed.
const ALERT_METRICS = [
  'etcd_network_peer_sent_failures_total',
  'etcd_server_has_leader',
  'etcd_server_leader_changes_seen_total',
  'grpc_server_handled_total',
  'grpc_server_handling_seconds_bucket',
  'etcd_network_peer_round_trip_time_seconds_bucket',
  'etcd_server_proposals_failed_total',
  'etcd_disk_wal_fsync_duration_seconds_bucket',
  'etcd_disk_backend_commit_duration_seconds_bucket',
  'etcd_mvcc_db_total_size_in_bytes',
  'etcd_server_quota_backend_bytes',
  'etcd_mvcc_db_total_size_in_use_in_bytes',
];

// The dashboard and issue's other names.
const ISSUE_METRICS = [
  'etcd_server_is_leader', 'etcd_server_proposals_committed_total', 'etcd_server_proposals_applied_total', 'etcd_server_proposals_pending',
  'etcd_network_peer_sent_bytes_total', 'etcd_network_peer_received_bytes_total', 'grpc_server_started_total', 'grpc_server_msg_received_total',
  'grpc_server_msg_sent_total', 'etcd_server_id', 'etcd_server_version',
  // etcd's Grafana dashboard's client traffic panels, and the older db size name its 3.4 dashboard reads.
  'etcd_network_client_grpc_received_bytes_total', 'etcd_network_client_grpc_sent_bytes_total', 'etcd_debugging_mvcc_db_total_size_in_bytes',
  // More of etcd 3.4's names.
  'etcd_debugging_mvcc_current_revision', 'etcd_debugging_mvcc_compact_revision', 'etcd_cluster_version', 'etcd_server_is_learner',
  // etcd 3.4's server and WAL counters (learner_promote_failures has a sample only once a promotion failed).
  'etcd_server_heartbeat_send_failures_total', 'etcd_server_slow_apply_total', 'etcd_server_read_indexes_failed_total', 'etcd_server_slow_read_indexes_total',
  'etcd_server_learner_promote_successes', 'etcd_disk_wal_write_bytes_total',
];

let c: KvCluster;
let text = '';

beforeAll(async () => {
  c = await startKvCluster([1, 2, 3]);
  const leader = await c.leader();
  const url = c.urls.get(leader.id)!;
  expect((await callUnary(rawClient('KV', url), 'Put', { key: Buffer.from('k'), value: Buffer.from('v') })).err).toBeUndefined();
  // A failed request too, so grpc_server_handled_total has a non-OK code.
  expect((await callUnary(rawClient('Auth', url), 'UserList', {})).err).toBeDefined();
  text = await c.servers.get(leader.id)!.metrics.text();
});
afterAll(async () => {
  await c.close();
});

/** The metric names in a Prometheus text exposition (sample lines only). */
function exported(t: string): Set<string> {
  return new Set(t.split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((l) => /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(l)![0]));
}

test('every metric etcd\'s alerting rules read is exported', () => {
  const names = exported(text);
  expect(ALERT_METRICS.filter((n) => !names.has(n))).toEqual([]);
});

test('the db size in use counts the stored revisions\' keys and values, and drops with a physical compaction', async () => {
  const leader = await c.leader();
  const kv = c.clients.get(leader.id)!;
  const server = c.servers.get(leader.id)!;
  const inUse = async (): Promise<number> => Number(/^etcd_mvcc_db_total_size_in_use_in_bytes (\d+)$/m.exec(await server.metrics.text())![1]);
  const before = await inUse();
  const put = await kv.put('size/a', new Uint8Array(1000));
  await kv.put('size/a', new Uint8Array(1000));
  expect(await inUse()).toBe(before + 2 * ('size/a'.length + 1000));
  await kv.compact(put.header.revision + 1, { physical: true });
  expect(await inUse()).toBeLessThanOrEqual(before + 'size/a'.length + 1000);
});

test('the issue\'s other etcd and go-grpc-prometheus names are exported, with etcd\'s labels', () => {
  const names = exported(text);
  expect(ISSUE_METRICS.filter((n) => !names.has(n))).toEqual([]);
  expect(text).toMatch(/^etcd_server_is_learner 0$/m);
  expect(text).toMatch(/^etcd_cluster_version\{cluster_version="3\.5"\} 1$/m);
  expect(Number(/^etcd_debugging_mvcc_current_revision (\d+)$/m.exec(text)![1])).toBeGreaterThanOrEqual(2);
  expect(/^etcd_debugging_mvcc_db_total_size_in_bytes (\d+)$/m.exec(text)![1]).toBe(/^etcd_mvcc_db_total_size_in_bytes (\d+)$/m.exec(text)![1]);
  expect(text).toMatch(/^etcd_network_peer_sent_bytes_total\{To="[0-9a-f]+"\} \d+/m);
  expect(text).toMatch(/^etcd_network_peer_round_trip_time_seconds_bucket\{le="[^"]+",To="[0-9a-f]+"\} \d+/m);
  expect(text).toMatch(/^grpc_server_handling_seconds_bucket\{le="[^"]+",grpc_type="unary",grpc_service="etcdserverpb\.KV",grpc_method="Put"\} \d+/m);
});

test('no metric name is exported twice (each # TYPE line is unique)', () => {
  const types = text.split('\n').filter((l) => l.startsWith('# TYPE ')).map((l) => l.split(' ')[2]);
  expect(types.length).toBe(new Set(types).size);
});
