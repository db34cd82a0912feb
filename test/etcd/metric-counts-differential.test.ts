import { Metadata, type ClientDuplexStream } from '@grpc/grpc-js';
import { expect, test } from 'vitest';
import { differentialPair, type Client, type Wire } from './differential-pair.js';
import { callUnary, rawClient, until } from './helpers.js';

// etcd counts its store's operations where its store runs them (etcd_mvcc_*_total and etcd 3.4's
// etcd_debugging_mvcc_* twins): each range, put and delete called on a store transaction, and a txn
// when one transaction ran more than one of them. So a put with prev_kv is a range, a put and a txn;
// a Txn RPC's compares are ranges of a read transaction of their own; a lease revoke deletes its keys
// one by one. The same requests go to a real etcd 3.4 and to raftkit, and every counter below must
// grow by the same amount on both. So must the client requests etcd's interceptors count (by kind
// and client-api-version) and the scrapes its metrics handler answered.

const pair = differentialPair();

const COUNTERS = [
  'etcd_mvcc_put_total', 'etcd_mvcc_range_total', 'etcd_mvcc_delete_total', 'etcd_mvcc_txn_total',
  'etcd_debugging_mvcc_put_total', 'etcd_debugging_mvcc_range_total', 'etcd_debugging_mvcc_delete_total', 'etcd_debugging_mvcc_txn_total',
  'etcd_debugging_mvcc_total_put_size_in_bytes',
  'etcd_debugging_lease_granted_total', 'etcd_debugging_lease_revoked_total', 'etcd_debugging_lease_renewed_total',
  'etcd_debugging_lease_ttl_total_count', 'etcd_debugging_lease_ttl_total_sum',
  'etcd_debugging_mvcc_events_total', 'etcd_debugging_mvcc_pending_events_total', 'etcd_debugging_mvcc_watch_stream_total',
  'etcd_debugging_mvcc_db_compaction_keys_total', 'etcd_debugging_mvcc_index_compaction_pause_duration_milliseconds_count',
  'etcd_debugging_mvcc_db_compaction_pause_duration_milliseconds_count',
  'etcd_mvcc_hash_rev_duration_seconds_count', 'etcd_disk_defrag_inflight',
  // etcd's interceptors count every call by kind and by the client-api-version its clients send.
  'etcd_server_client_requests_total{client_api_version="unknown",type="unary"}',
  'etcd_server_client_requests_total{client_api_version="unknown",type="stream"}',
  'etcd_server_client_requests_total{client_api_version="3.4",type="unary"}',
  // Prometheus' Go handler counts the scrapes it answered.
  'promhttp_metric_handler_requests_total{code="200"}',
] as const;

type Values = Record<(typeof COUNTERS)[number], number>;

/** The samples' values in `text` (NaN for one that is absent). */
function parse(text: string): Values {
  const out = {} as Values;
  const lines = new Map(text.split('\n').filter((l) => !l.startsWith('#')).map((l) => [l.slice(0, l.lastIndexOf(' ')), Number(l.slice(l.lastIndexOf(' ') + 1))]));
  for (const name of COUNTERS) out[name] = lines.get(name) ?? Number.NaN;
  return out;
}

/** A member's `/metrics`, as Prometheus scrapes it. */
async function scrape(url: string): Promise<string> {
  return (await fetch(new URL('/metrics', url))).text();
}

const b = (s: string): Buffer => Buffer.from(s);

async function ok(client: Client, method: string, req: object): Promise<Wire> {
  const r = await callUnary(client, method, req);
  expect(r.err, `${method} ${JSON.stringify(req)}`).toBeUndefined();
  return r.res!;
}

/** The same requests, on one side; returns the counters' growth, and their values while a watch stream is open. */
async function workload(url: string): Promise<{ delta: Values; open: Values; after: Values; scrapes: number }> {
  let scrapes = 0;
  const metrics = (): Promise<string> => (scrapes++, scrape(url));
  const before = parse(await metrics());
  const kv = rawClient('KV', url);
  const lease = rawClient('Lease', url);
  const watch = rawClient('Watch', url);
  const maintenance = rawClient('Maintenance', url);
  try {
    await ok(kv, 'Put', { key: b('om/a'), value: b('1') });
    await ok(kv, 'Put', { key: b('om/b'), value: b('22'), prevKv: true }); // a range, a put, a txn
    await ok(kv, 'Put', { key: b('om/b'), value: b(''), ignoreValue: true }); // the same, with b's value
    await ok(kv, 'Range', { key: b('om/a') });
    await ok(kv, 'Range', { key: b('om/'), rangeEnd: b('om0'), serializable: true, countOnly: true });
    await ok(kv, 'DeleteRange', { key: b('om/b'), prevKv: true });
    await ok(kv, 'DeleteRange', { key: b('om/none') });
    // Kubernetes' create: one compare, one put.
    await ok(kv, 'Txn', { compare: [{ key: b('om/c'), target: 'MOD', result: 'EQUAL', modRevision: '0' }], success: [{ requestPut: { key: b('om/c'), value: b('c') } }] });
    // Two compares (the second is not read: the first fails), then the failure branch's two writes.
    await ok(kv, 'Txn', {
      compare: [{ key: b('om/a'), target: 'VALUE', result: 'EQUAL', value: b('x') }, { key: b('om/c'), target: 'VERSION', result: 'GREATER', version: '0' }],
      success: [{ requestRange: { key: b('om/a') } }],
      failure: [{ requestPut: { key: b('om/d'), value: b('dd') } }, { requestDeleteRange: { key: b('om/c') } }, { requestRange: { key: b('om/'), rangeEnd: b('om0') } }],
    });
    // A read-only txn: two compares and a range in one read transaction.
    await ok(kv, 'Txn', {
      compare: [{ key: b('om/a'), target: 'CREATE', result: 'GREATER', createRevision: '0' }, { key: b('om/d'), target: 'VALUE', result: 'EQUAL', value: b('dd') }],
      success: [{ requestRange: { key: b('om/a') } }],
    });
    // A nested txn on the path taken.
    await ok(kv, 'Txn', {
      success: [{ requestTxn: { compare: [{ key: b('om/a'), target: 'VALUE', result: 'EQUAL', value: b('1') }], success: [{ requestPut: { key: b('om/e'), value: b('e') } }] } }],
    });
    // Leases: a grant, a put on it, a renewal, a revoke (which deletes the key).
    const granted = await ok(lease, 'LeaseGrant', { ID: '7001', TTL: '40' });
    expect(granted.TTL).toBe('40');
    await ok(kv, 'Put', { key: b('om/l'), value: b('l'), lease: '7001' });
    const keepAlive = (lease as unknown as { LeaseKeepAlive(): ClientDuplexStream<Wire, Wire> }).LeaseKeepAlive();
    const renewed = new Promise<Wire>((resolve) => keepAlive.once('data', resolve));
    keepAlive.on('error', () => undefined);
    keepAlive.write({ ID: '7001' });
    expect((await renewed).TTL).toBe('40');
    keepAlive.cancel();
    await ok(lease, 'LeaseRevoke', { ID: '7001' });
    // A watch stream that takes two events.
    const stream = (watch as unknown as { Watch(): ClientDuplexStream<Wire, Wire> }).Watch();
    const got: Wire[] = [];
    stream.on('data', (r: Wire) => got.push(r));
    stream.on('error', () => undefined);
    stream.write({ createRequest: { key: b('om/w') } });
    await until(() => got.length === 1, 'the created answer');
    await ok(kv, 'Put', { key: b('om/w'), value: b('w1') });
    await ok(kv, 'DeleteRange', { key: b('om/w') });
    await until(() => got.reduce((n, r) => n + ((r.events as unknown[] | undefined)?.length ?? 0), 0) === 2, 'both events');
    const open = parse(await metrics());
    stream.cancel();
    await until(async () => parse(await metrics()).etcd_debugging_mvcc_watch_stream_total === before.etcd_debugging_mvcc_watch_stream_total, 'the stream closed');
    // A compaction of everything but the latest revision, finished before it answers.
    const rev = Number(((await ok(kv, 'Range', { key: b('om/a') })).header as Wire).revision);
    await ok(kv, 'Compact', { revision: String(rev), physical: true });
    await ok(maintenance, 'HashKV', { revision: '0' });
    const versioned = new Metadata();
    versioned.set('client-api-version', '3.4');
    expect((await callUnary(kv, 'Range', { key: b('om/a') }, versioned)).err).toBeUndefined();
    const after = parse(await metrics());
    const delta = {} as Values;
    // A sample first counted by this workload was absent before it: it grew from 0.
    for (const n of COUNTERS) delta[n] = after[n] - (Number.isNaN(before[n]) ? 0 : before[n]);
    return { delta, open, after, scrapes };
  } finally {
    for (const c of [kv, lease, watch, maintenance]) c.close();
  }
}

test('the store, lease, watch, client request and scrape counters grow as etcd\'s do for the same requests', async () => {
  const etcd = await workload(pair.etcd.url);
  const raftkit = await workload(pair.raftkitUrl);
  for (const n of COUNTERS) expect(Number.isNaN(etcd.after[n]), `${n} on etcd`).toBe(false);
  // Each scrape is counted once answered: every one but the last was (how many the test's waits took differs).
  const scrapes = 'promhttp_metric_handler_requests_total{code="200"}';
  for (const side of [etcd, raftkit]) {
    expect(side.delta[scrapes]).toBe(side.scrapes - 1);
    side.delta[scrapes] = 0;
  }
  expect(raftkit.delta).toEqual(etcd.delta);
  // Not zero: the workload exercised every counter it compares.
  expect(etcd.delta).toMatchObject({ etcd_mvcc_put_total: 8, etcd_debugging_mvcc_events_total: 2, 'etcd_server_client_requests_total{client_api_version="3.4",type="unary"}': 1 });
  expect(etcd.delta['etcd_server_client_requests_total{client_api_version="unknown",type="stream"}']).toBe(2);
  expect(etcd.delta.etcd_debugging_mvcc_db_compaction_keys_total).toBeGreaterThan(0);
  expect(raftkit.open.etcd_debugging_mvcc_watch_stream_total).toBe(etcd.open.etcd_debugging_mvcc_watch_stream_total);
  expect(raftkit.open.etcd_debugging_mvcc_watch_stream_total).toBeGreaterThan(0);
});

test('a compaction deletes in batches of 1,000 records, as etcd\'s (--experimental-compaction-batch-limit): the same keys and pauses counted', async () => {
  const counts = async (url: string): Promise<{ keys: number; pauses: number }> => {
    const v = parse(await scrape(url));
    return { keys: v.etcd_debugging_mvcc_db_compaction_keys_total, pauses: v.etcd_debugging_mvcc_db_compaction_pause_duration_milliseconds_count };
  };
  const grew: Record<string, { keys: number; pauses: number }> = {};
  for (const [side, url] of Object.entries({ etcd: pair.etcd.url, raftkit: pair.raftkitUrl })) {
    const kv = rawClient('KV', url);
    try {
      const before = await counts(url);
      // 2,600 records in 26 revisions: 100 keys written 26 times, all but the last version compacted.
      for (let t = 0; t < 26; t++) {
        await ok(kv, 'Txn', { success: Array.from({ length: 100 }, (_, i) => ({ requestPut: { key: b(`cb/${String(i)}`), value: b(String(t)) } })) });
      }
      const rev = Number(((await ok(kv, 'Range', { key: b('cb/0') })).header as Wire).revision);
      await ok(kv, 'Compact', { revision: String(rev), physical: true });
      const after = await counts(url);
      grew[side] = { keys: after.keys - before.keys, pauses: after.pauses - before.pauses };
    } finally {
      kv.close();
    }
  }
  expect(grew.etcd!.keys).toBeGreaterThanOrEqual(2500);
  expect(grew.etcd!.pauses).toBeGreaterThanOrEqual(2);
  expect(grew.raftkit).toEqual(grew.etcd);
});
