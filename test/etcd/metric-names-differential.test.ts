import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { differentialProcessPair } from './differential-pair.js';
import { callUnary, etcdctl, rawClient } from './helpers.js';

// A `raftkit` member exports every metric family a real etcd 3.4 member exports, under the same
// name and type (and with etcd's label names and histogram bucket bounds), but for the ones listed below, each
// with the reason it has no counterpart. A new etcd family, or one raftkit stops exporting, fails
// the test until it is exported or listed.

/** etcd 3.4's families a raftkit member does not export, and why. */
const NOT_EXPORTED: Record<string, string> = {
  // Go's runtime (raftkit runs on Node: nodejs_gc_duration_seconds and the process_* metrics).
  ...Object.fromEntries([
    'go_gc_duration_seconds', 'go_goroutines', 'go_info', 'go_memstats_alloc_bytes', 'go_memstats_alloc_bytes_total', 'go_memstats_buck_hash_sys_bytes',
    'go_memstats_frees_total', 'go_memstats_gc_sys_bytes', 'go_memstats_heap_alloc_bytes', 'go_memstats_heap_idle_bytes', 'go_memstats_heap_inuse_bytes',
    'go_memstats_heap_objects', 'go_memstats_heap_released_bytes', 'go_memstats_heap_sys_bytes', 'go_memstats_last_gc_time_seconds', 'go_memstats_lookups_total',
    'go_memstats_mallocs_total', 'go_memstats_mcache_inuse_bytes', 'go_memstats_mcache_sys_bytes', 'go_memstats_mspan_inuse_bytes', 'go_memstats_mspan_sys_bytes',
    'go_memstats_next_gc_bytes', 'go_memstats_other_sys_bytes', 'go_memstats_stack_inuse_bytes', 'go_memstats_stack_sys_bytes', 'go_memstats_sys_bytes', 'go_threads',
    'etcd_server_go_version',
  ].map((n) => [n, 'Go runtime'])),
  // The v2 store, which etcd 3.6 removed and raftkit never had.
  ...Object.fromEntries(['etcd_debugging_store_expires_total', 'etcd_debugging_store_reads_total', 'etcd_debugging_store_watch_requests_total', 'etcd_debugging_store_watchers',
    'etcd_debugging_store_writes_total'].map((n) => [n, 'v2 store'])),
  // etcd's gRPC proxy (a separate `etcd grpc-proxy` process).
  ...Object.fromEntries(['etcd_grpc_proxy_cache_hits_total', 'etcd_grpc_proxy_cache_keys_total', 'etcd_grpc_proxy_cache_misses_total', 'etcd_grpc_proxy_events_coalescing_total',
    'etcd_grpc_proxy_watchers_coalescing_total'].map((n) => [n, 'gRPC proxy'])),
  // bbolt's commit phases: raftkit's backend is LevelDB (etcd_disk_backend_commit_duration_seconds times its commits).
  ...Object.fromEntries(['etcd_debugging_disk_backend_commit_rebalance_duration_seconds', 'etcd_debugging_disk_backend_commit_spill_duration_seconds',
    'etcd_debugging_disk_backend_commit_write_duration_seconds'].map((n) => [n, 'bbolt internals'])),
  etcd_debugging_auth_revision: 'Auth answers Unimplemented',
  // etcd writes a Raft snapshot to a .snap file and receives the leader's database as a .snap.db file;
  // raftkit keeps both in its storage (timed under etcd_debugging_snap_save_*).
  etcd_snap_fsync_duration_seconds: 'no .snap files',
  etcd_snap_db_fsync_duration_seconds: 'no .snap.db files',
  etcd_snap_db_save_total_duration_seconds: 'no .snap.db files',
};

// extensive: the gRPC handling-time histogram too (etcd's alerting rules read it).
const pair = differentialProcessPair('names', ['--metrics', 'extensive']);
const dir = mkdtempSync(join(tmpdir(), 'raftkit-metric-names-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Each metric family's type, from the `# TYPE` lines of a scrape. */
async function families(url: string): Promise<Map<string, string>> {
  return typesOf(await (await fetch(new URL('/metrics', url))).text());
}

/** Each metric family's type, from a page's `# TYPE` lines. */
function typesOf(text: string): Map<string, string> {
  return new Map(text.split('\n').filter((l) => l.startsWith('# TYPE ')).map((l) => l.split(' ').slice(2, 4) as [string, string]));
}

test('every etcd 3.4 metric family is exported with etcd\'s type, but those listed with their reason', async () => {
  const sides = { etcd: pair.etcd.url, raftkit: pair.raftkitUrl };
  for (const [name, url] of Object.entries(sides)) {
    // A write, a hash, a lease and a snapshot, so that every family has a sample on both.
    expect((await callUnary(rawClient('KV', url), 'Put', { key: Buffer.from('names/a'), value: Buffer.from('1') })).err).toBeUndefined();
    expect((await callUnary(rawClient('Maintenance', url), 'Hash', {})).err).toBeUndefined();
    expect((await callUnary(rawClient('Lease', url), 'LeaseGrant', { TTL: 60 })).err).toBeUndefined();
    const saved = await etcdctl([url], ['snapshot', 'save', join(dir, `${name}.db`)]);
    expect(saved.code, saved.stderr).toBe(0);
  }
  const etcd = await families(sides.etcd);
  const raftkit = await families(sides.raftkit);
  expect(etcd.size).toBeGreaterThan(100);
  expect(etcd.get('grpc_server_handling_seconds')).toBe('histogram');
  const missing = [...etcd.keys()].filter((n) => !raftkit.has(n)).sort();
  expect(missing).toEqual(Object.keys(NOT_EXPORTED).sort());
  const typeDiffers = [...etcd].filter(([n, type]) => raftkit.has(n) && raftkit.get(n) !== type).map(([n, type]) => `${n}: etcd ${type}, raftkit ${raftkit.get(n)!}`);
  expect(typeDiffers).toEqual([]);
  // The hash and the snapshot were timed, as etcd times them.
  for (const url of Object.values(sides)) {
    const text = await (await fetch(new URL('/metrics', url))).text();
    expect(text).toMatch(/^etcd_mvcc_hash_duration_seconds_count 1$/m);
    expect(text).toMatch(/^etcd_disk_backend_snapshot_duration_seconds_count 1$/m);
  }
});

/** Per metric family: its label names (sorted, `le` and `quantile` aside) and, for a histogram, its bucket bounds as written (Go writes 2^20 `1.048576e+06`). */
async function shapes(url: string): Promise<Map<string, { labels: string; bounds: string }>> {
  const text = await (await fetch(new URL('/metrics', url))).text();
  const types = typesOf(text);
  const out = new Map<string, { labels: Set<string>; bounds: Set<string> }>();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*?)(_bucket|_sum|_count)?(?:\{([^}]*)\})? \S+$/.exec(line);
    if (m === null) continue;
    const family = types.has(m[1]!) ? m[1]! : `${m[1]!}${m[2] ?? ''}`;
    const s = out.get(family) ?? { labels: new Set<string>(), bounds: new Set<string>() };
    out.set(family, s);
    for (const [, k, v] of (m[3] ?? '').matchAll(/(\w+)="([^"]*)"/g)) {
      if (k === 'le') s.bounds.add(v!); // as written: a query names a bound by its text
      else if (k !== 'quantile') s.labels.add(k!);
    }
  }
  return new Map([...out].map(([n, s]) => [n, { labels: [...s.labels].sort().join(','), bounds: [...s.bounds].sort((a, b) => (a === '+Inf' ? 1 : b === '+Inf' ? -1 : Number(a) - Number(b))).join(',') }]));
}

test('every metric family both export has etcd\'s label names, and every histogram etcd\'s bucket bounds', async () => {
  const etcd = await shapes(pair.etcd.url);
  const raftkit = await shapes(pair.raftkitUrl);
  const both = [...etcd.keys()].filter((n) => raftkit.has(n));
  expect(both.length).toBeGreaterThan(60);
  const differs = (what: 'labels' | 'bounds'): string[] => both.filter((n) => raftkit.get(n)![what] !== '' && etcd.get(n)![what] !== '' && raftkit.get(n)![what] !== etcd.get(n)![what])
    .map((n) => `${n}: etcd ${etcd.get(n)![what]}, raftkit ${raftkit.get(n)![what]}`);
  expect(differs('labels')).toEqual([]);
  expect(differs('bounds')).toEqual([]);
  // Not vacuous: the histograms the write, hash and snapshot above observed on both were compared.
  const compared = both.filter((n) => etcd.get(n)!.bounds !== '' && raftkit.get(n)!.bounds !== '');
  // raftkit's own family keeps the finer bounds below etcd's first, for disks that sync in under a millisecond.
  expect(raftkit.get('raft_storage_fsync_duration_seconds')!.bounds).toBe(`0.0001,0.0002,0.0004,0.0008,${etcd.get('etcd_disk_wal_fsync_duration_seconds')!.bounds}`);
  expect(compared).toEqual(expect.arrayContaining(['etcd_disk_wal_fsync_duration_seconds', 'etcd_disk_backend_commit_duration_seconds', 'etcd_debugging_lease_ttl_total', 'etcd_mvcc_hash_duration_seconds', 'grpc_server_handling_seconds']));
});
