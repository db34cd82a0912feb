import { expect, test } from 'vitest';
import { busyCpuSeconds, inside } from '../../bench/etcd-cluster.js';

const m = (o: Record<string, number>): Map<string, number> => new Map(Object.entries(o));
const save = 'etcd_debugging_snap_save_total_duration_seconds';

test('a row nothing hit says so, with the applied index range', () => {
  const before = [m({ etcd_server_proposals_applied_total: 100 }), m({ etcd_server_proposals_applied_total: 99 }), m({})];
  const after = [m({ etcd_server_proposals_applied_total: 250 }), m({ etcd_server_proposals_applied_total: 249 }), m({})];
  expect(inside(before, after)).toBe('index 100-250, no snapshot stored, no leader change');
});

test('snapshots stored, in flight, restored, leader changes and compactions are each named with their members', () => {
  const before = [
    m({ etcd_server_proposals_applied_total: 99_000, raft_snapshot_save_in_progress: 1, etcd_server_leader_changes_seen_total: 1 }),
    m({ etcd_server_proposals_applied_total: 99_000, [`${save}_count`]: 1, [`${save}_sum`]: 2, raft_snapshot_total: 1 }),
    m({ etcd_server_proposals_applied_total: 98_000 }),
  ];
  const after = [
    m({ etcd_server_proposals_applied_total: 101_000, [`${save}_count`]: 1, [`${save}_sum`]: 1.5, etcd_debugging_snap_save_marshalling_duration_seconds_sum: 0.25, raft_snapshot_total: 1, etcd_server_leader_changes_seen_total: 2, raft_log_compactions_total: 1 }),
    m({ etcd_server_proposals_applied_total: 101_000, [`${save}_count`]: 1, [`${save}_sum`]: 2, raft_snapshot_total: 2, raft_snapshot_save_in_progress: 1 }),
    m({ etcd_server_proposals_applied_total: 100_500, etcd_snap_db_save_total_duration_seconds_count: 1, etcd_debugging_mvcc_db_compaction_total_duration_milliseconds_count: 2, go_gc_duration_seconds_sum: 0.125 }),
  ];
  expect(inside(before, after)).toBe('index 99000-101000, snapshots stored 1 (members 1; 1.50 s, marshalling 0.25 s), a snapshot in flight at the start on 1, ' +
    'a snapshot in flight at the end on 2, snapshot restored on 2,3, leader changes 1, log compactions 1, KV compactions 2, GC 0.000+0.000+0.125 s');
});

test('the machine\'s busy CPU is every tick of the all-cores line but idle and I/O wait, in seconds', () => {
  // user nice system idle iowait irq softirq steal guest guest_nice
  const stat = 'cpu  1000 20 300 5000 400 0 50 30 7 0\ncpu0 500 10 150 2500 200 0 25 15 7 0\nintr 1 2 3\n';
  expect(busyCpuSeconds(stat)).toBeCloseTo((1000 + 20 + 300 + 0 + 50 + 30) / 100, 9);
  expect(busyCpuSeconds('intr 1 2 3\n')).toBeNaN();
});

test('raftkit\'s full collections in a row are counted and timed apart, per member', () => {
  const gc = 'nodejs_gc_duration_seconds';
  const before = [0, 1, 2].map(() => m({ etcd_server_proposals_applied_total: 10, [`${gc}_sum`]: 1, [`${gc}_count@major`]: 3, [`${gc}_sum@major`]: 0.5 }));
  const after = [
    m({ etcd_server_proposals_applied_total: 20, [`${gc}_sum`]: 1.1, [`${gc}_count@major`]: 4, [`${gc}_sum@major`]: 0.575 }),
    m({ etcd_server_proposals_applied_total: 20, [`${gc}_sum`]: 1.05, [`${gc}_count@major`]: 3, [`${gc}_sum@major`]: 0.5 }),
    m({ etcd_server_proposals_applied_total: 20, [`${gc}_sum`]: 1.125, [`${gc}_count@major`]: 5, [`${gc}_sum@major`]: 0.625 }),
  ];
  expect(inside(before, after)).toBe('index 10-20, no snapshot stored, no leader change, GC 0.100+0.050+0.125 s (full collections 1+0+2, 0.075+0.000+0.125 s)');
  // None in the row: nothing more said.
  expect(inside(before, before.map((b) => m({ ...Object.fromEntries(b), [`${gc}_sum`]: 1.01 })))).toBe('index 10-10, no snapshot stored, no leader change, GC 0.010+0.010+0.010 s');
});
