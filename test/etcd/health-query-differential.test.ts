import { expect, test } from 'vitest';
import { differentialPair } from './differential-pair.js';
import { callUnary, rawClient } from './helpers.js';

// /health's query as Kubernetes' probes use it (`/health?exclude=NOSPACE&serializable=true` for
// liveness, so that a full database does not get etcd restarted), and the methods it takes: a real
// etcd 3.4 and a one-member raftkit cluster get the same requests, with and without an active
// NOSPACE alarm, and answer with the same status, content type and health. (etcd 3.4 leaves out
// the `reason`; raftkit sends it, as etcd 3.5 does: it is checked on its own.)

const pair = differentialPair();

const REQUESTS: [string, string][] = [
  ['GET', '/health'],
  ['GET', '/health?exclude=NOSPACE'],
  ['GET', '/health?exclude=CORRUPT'],
  ['GET', '/health?exclude=NOSPACE&serializable=true'],
  ['GET', '/health?serializable=true'],
  ['GET', '/health?exclude='],
  ['POST', '/health'],
  ['PUT', '/health?exclude=NOSPACE'],
  ['POST', '/version'],
];

/** Each request's status, content type and `health` (or its text, when it is not JSON). */
async function answers(url: string): Promise<string[]> {
  const out: string[] = [];
  for (const [method, path] of REQUESTS) {
    const r = await fetch(new URL(path, url), { method });
    const body = await r.text();
    let shown = body;
    try {
      const h = JSON.parse(body) as { health?: string; reason?: string };
      shown = `health=${String(h.health)}`;
    } catch {
      // Not JSON: compared as it is.
    }
    out.push(`${method} ${path} → ${String(r.status)} ${String(r.headers.get('content-type'))} ${shown}`);
  }
  return out;
}

async function alarm(url: string, action: 'ACTIVATE' | 'DEACTIVATE'): Promise<void> {
  const m = rawClient('Maintenance', url);
  const status = await callUnary(m, 'Status', {});
  const memberID = (status.res!.header as { member_id?: string; memberId?: string }).memberId;
  expect((await callUnary(m, 'Alarm', { action, memberID, alarm: 'NOSPACE' })).err).toBeUndefined();
  m.close();
}

test('/health with exclude and serializable, with and without a NOSPACE alarm, and its methods, as etcd answers them', async () => {
  const [etcdOk, raftkitOk] = [await answers(pair.etcd.url), await answers(pair.raftkitUrl)];
  expect(raftkitOk).toEqual(etcdOk);
  expect(etcdOk[0]).toMatch(/→ 200 .* health=true/);
  for (const url of [pair.etcd.url, pair.raftkitUrl]) await alarm(url, 'ACTIVATE');
  try {
    const [etcd, raftkit] = [await answers(pair.etcd.url), await answers(pair.raftkitUrl)];
    expect(raftkit).toEqual(etcd);
    // The alarm makes /health fail, and the liveness probe's query still passes.
    expect(etcd[0]).toMatch(/→ 503 .* health=false/);
    expect(etcd[1]).toMatch(/→ 200 .* health=true/);
    expect(etcd[3]).toMatch(/→ 200 .* health=true/);
    expect(await (await fetch(new URL('/health?exclude=CORRUPT', pair.raftkitUrl))).text()).toBe('{"health":"false","reason":"ALARM NOSPACE"}\n');
  } finally {
    for (const url of [pair.etcd.url, pair.raftkitUrl]) await alarm(url, 'DEACTIVATE');
  }
});
