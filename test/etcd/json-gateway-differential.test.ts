import * as http from 'node:http';
import { expect, test } from 'vitest';
import { KvStateMachine } from '../../src/kv/kv-state-machine.js';
import { differentialPair } from './differential-pair.js';

// etcd's JSON gateway on the client URL (`curl -X POST -d '{"key":"Zm9v"}' http://127.0.0.1:2379/v3/kv/range`):
// the same requests go to a real etcd 3.4 and to raftkit, and each answer's HTTP status and JSON
// must be the same once what differs by nature is replaced (the header's cluster and member ids
// and term, lease and member ids, the version, member names and URLs).
// The raftkit member's election timeout is etcd's default, which sets the shortest lease TTL.
const pair = differentialPair(() => new KvStateMachine({ electionMs: 1000 }));

const b64 = (s: string): string => Buffer.from(s).toString('base64');

function post(url: string, path: string, body: string, method = 'POST'): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}${path}`, { method, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A JSON answer with what differs by nature replaced; ids by order of appearance. */
function normalize(text: string, ids: Map<string, string>): unknown {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return text.trim();
  }
  // `path` is the keys from the answer's top (array indexes left out): `version` and `name` are
  // replaced only where they are the server's version and a member's name, not a key's version.
  const walk = (x: unknown, path: readonly string[] = []): unknown => {
    const key = path.at(-1) ?? '';
    if (Array.isArray(x)) return x.map((y) => walk(y, path));
    // raftkit's Status carries its own version in a field of its own, beside etcd's.
    if (x !== null && typeof x === 'object') return Object.fromEntries(Object.entries(x).filter(([k]) => k !== 'raftkitVersion').map(([k, y]) => [k, walk(y, [...path, k])]));
    if (['cluster_id', 'member_id', 'raft_term', 'leader', 'raftTerm', 'raftIndex', 'raftAppliedIndex', 'dbSize', 'dbSizeInUse'].includes(key)) return `<${key}>`;
    if ((key === 'version' && path.length === 1) || (key === 'name' && path[0] === 'members')) return `<${key}>`;
    if (key === 'ID' && typeof x === 'string') {
      if (!ids.has(x)) ids.set(x, `<id ${ids.size + 1}>`);
      return ids.get(x);
    }
    if (key === 'peerURLs' || key === 'clientURLs') return '<url>';
    if (key === 'TTL' && typeof x === 'string' && Number(x) > 50 && Number(x) <= 60) return '<ttl about 60>';
    return x;
  };
  return walk(v);
}

/** [path, body]: the requests, in order. `{lease}` becomes the side's lease id from the last grant. */
const REQUESTS: [string, string][] = [
  ['/v3/kv/put', JSON.stringify({ key: b64('/a'), value: b64('1') })],
  ['/v3/kv/put', JSON.stringify({ key: b64('/b'), value: b64('2'), prev_kv: true })],
  ['/v3/kv/put', JSON.stringify({ key: b64('/b'), value: b64('3'), prevKv: true })],
  ['/v3/kv/range', JSON.stringify({ key: b64('/a') })],
  ['/v3/kv/range', JSON.stringify({ key: b64('/'), range_end: b64('0'), sortOrder: 'DESCEND', sort_target: 'KEY', limit: '1' })],
  ['/v3/kv/range', JSON.stringify({ key: b64('/'), rangeEnd: b64('0'), count_only: true })],
  ['/v3/kv/range', JSON.stringify({ key: b64('/'), range_end: b64('0'), keys_only: true, revision: 2, bogus: 1 })],
  ['/v3beta/kv/range', JSON.stringify({ key: b64('/b') })],
  ['/v3/kv/range', JSON.stringify({})],
  ['/v3/kv/txn', JSON.stringify({ compare: [{ key: b64('/a'), target: 'VALUE', result: 'EQUAL', value: b64('1') }], success: [{ request_range: { key: b64('/a') } }, { requestPut: { key: b64('/c'), value: b64('x') } }], failure: [] })],
  ['/v3/kv/txn', JSON.stringify({ compare: [{ key: b64('/a'), target: 'MOD', result: 'GREATER', mod_revision: '100' }], success: [], failure: [{ request_delete_range: { key: b64('/c'), prev_kv: true } }] })],
  ['/v3/kv/deleterange', JSON.stringify({ key: b64('/b'), prev_kv: true })],
  ['/v3/kv/compaction', JSON.stringify({ revision: '3' })],
  ['/v3/kv/range', JSON.stringify({ key: b64('/a'), revision: '2' })],
  ['/v3/kv/compaction', JSON.stringify({ revision: '100' })],
  ['/v3/lease/grant', JSON.stringify({ TTL: 60 })],
  ['/v3/kv/put', JSON.stringify({ key: b64('/l'), value: b64('v'), lease: '{lease}' })],
  ['/v3/kv/lease/timetolive', JSON.stringify({ ID: '{lease}', keys: true })],
  ['/v3/lease/leases', '{}'],
  ['/v3/lease/revoke', JSON.stringify({ ID: '{lease}' })],
  ['/v3/kv/lease/revoke', JSON.stringify({ ID: '{lease}' })],
  ['/v3/lease/grant', JSON.stringify({ TTL: 0 })],
  ['/v3/maintenance/alarm', JSON.stringify({ action: 'GET' })],
  ['/v3/maintenance/status', '{}'],
  ['/v3/cluster/member/list', '{}'],
  ['/v3/kv/range', 'not json'],
  ['/v3/kv/range', '[1]'],
  // The body's first JSON value is the request, as Go's decoder reads it: the rest is not read.
  ['/v3/kv/range', `${JSON.stringify({ key: b64('/a') })} trailing garbage`],
  ['/v3/kv/range', `${JSON.stringify({ key: b64('/a') })}{"key":1}`],
  ['/v3/kv/range', `{"key":"${b64('/a')}"`],
  ['/v3/kv/range', ' \n '],
  ['/v3/kv/range', '{"key":123}'],
  ['/v3/kv/range', '{"key":"Zm9v","sort_order":"SIDEWAYS"}'],
  ['/v3/maintenance/hashkv', '{}'],
  ['/v3/nope', '{}'],
];

/** Bodies refused before any handler runs: Go's JSON decoder and this one word why differently. */
const MALFORMED = new Set(['not json', '[1]', '{"key":123}', '{"key":"Zm9v","sort_order":"SIDEWAYS"}']);

test('the JSON gateway answers what etcd\'s answers, request by request', async () => {
  const seen: unknown[][] = [[], []];
  for (const [i, url] of [pair.etcd.url, pair.raftkitUrl].entries()) {
    const ids = new Map<string, string>();
    let lease = '';
    for (const [path, body] of REQUESTS) {
      const r = await post(url, path, body.replaceAll('{lease}', lease));
      if (path === '/v3/lease/grant' && r.status === 200) lease = (JSON.parse(r.body) as { ID: string }).ID;
      const answer = r.status === 400 && MALFORMED.has(body) ? { code: (JSON.parse(r.body) as { code: number }).code } : normalize(r.body, ids);
      seen[i]!.push({ request: `${path} ${body}`, status: r.status, type: r.type, answer });
    }
    const get = await post(url, '/v3/kv/range', '', 'GET');
    seen[i]!.push({ request: 'GET /v3/kv/range', status: get.status });
  }
  for (let k = 0; k < seen[0]!.length; k++) expect(seen[1]![k], JSON.stringify((seen[0]![k] as { request: string }).request)).toEqual(seen[0]![k]);
  // The cases came up: answers with kvs, a failed precondition, a compacted read, a lease's keys, an unknown path.
  const statuses = (seen[0] as { status: number }[]).map((s) => s.status);
  expect(statuses).toContain(400);
  expect(statuses).toContain(404);
  expect(statuses).toContain(405);
  expect(JSON.stringify(seen[0])).toContain('"keys":["L2w="]');
});

test('hostile gateway requests are refused with code 3 and the member keeps serving: wrong types, deep nesting, an oversized body', async () => {
  const url = pair.raftkitUrl;
  // 5,000 txns nested in each other, written as text (too deep for JSON.stringify).
  const nested = `${'{"success":[{"request_txn":'.repeat(5000)}{}${'}]}'.repeat(5000)}`;
  const bodies = [
    JSON.stringify({ key: b64('k'), value: { not: 'bytes' } }),
    JSON.stringify({ key: b64('k'), sort_order: 'SIDEWAYS' }),
    nested,
    '['.repeat(200_000),
    JSON.stringify({ key: b64('k'), value: 'A'.repeat(5 * 1024 * 1024) }),
  ];
  for (const [i, body] of bodies.entries()) {
    const r = await post(url, i === 2 ? '/v3/kv/txn' : i === 1 ? '/v3/kv/range' : '/v3/kv/put', body);
    expect(r.status, `body ${i}`).toBe(400);
    expect((JSON.parse(r.body) as { code: number }).code, `body ${i}`).toBe(3);
  }
  const ok = await post(url, '/v3/kv/range', JSON.stringify({ key: b64('/a') }));
  expect(ok.status).toBe(200);
});
