import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { etcdctl, startKvCluster, type KvCluster } from './helpers.js';

// The KV and Lease services driven by the real etcdctl (ETCDCTL_API=3) against three in-process
// replicas, outputs parsed (-w json where etcdctl has it).
let c: KvCluster;
const ctl = (...args: string[]) => etcdctl(c.endpoints(), args);
const unb64 = (s: string): string => Buffer.from(s, 'base64').toString();

interface JsonKv { key: string; value?: string; create_revision: number; mod_revision: number; version: number; lease?: number }
interface JsonRange { header: { revision: number }; kvs?: JsonKv[]; count: number; more?: boolean }

beforeAll(async () => {
  c = await startKvCluster([1, 2, 3]);
});
afterAll(async () => {
  await c.close();
});

describe('etcdctl KV', () => {
  test('put, then get -w json: value, revisions, version', async () => {
    const put = await ctl('put', '/a/1', 'one');
    expect(put.code, put.stderr).toBe(0);
    expect(put.stdout.trim()).toBe('OK');
    await ctl('put', '/a/1', 'uno');
    const r = await ctl('get', '/a/1', '-w', 'json');
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as JsonRange;
    expect(j.count).toBe(1);
    expect(unb64(j.kvs![0]!.key)).toBe('/a/1');
    expect(unb64(j.kvs![0]!.value!)).toBe('uno');
    expect(j.kvs![0]!.version).toBe(2);
    expect(j.kvs![0]!.mod_revision).toBeGreaterThan(j.kvs![0]!.create_revision);
  });

  test('get --prefix, --limit, --keys-only, --sort-by/--order, --rev', async () => {
    for (const k of ['/p/a', '/p/b', '/p/c']) expect((await ctl('put', k, `v${k}`)).code).toBe(0);
    const all = JSON.parse((await ctl('get', '/p/', '--prefix', '-w', 'json')).stdout) as JsonRange;
    expect(all.kvs!.map((x) => unb64(x.key))).toEqual(['/p/a', '/p/b', '/p/c']);
    const limited = JSON.parse((await ctl('get', '/p/', '--prefix', '--limit', '2', '-w', 'json')).stdout) as JsonRange;
    expect(limited.kvs).toHaveLength(2);
    expect(limited.more).toBe(true);
    expect(limited.count).toBe(3);
    const keys = await ctl('get', '/p/', '--prefix', '--keys-only');
    expect(keys.stdout.split('\n').filter((l) => l !== '')).toEqual(['/p/a', '/p/b', '/p/c']);
    // etcdctl 3.4 has no --count-only; countOnly is covered by the apiserver patterns test.
    const desc = JSON.parse((await ctl('get', '/p/', '--prefix', '--sort-by', 'KEY', '--order', 'DESCEND', '-w', 'json')).stdout) as JsonRange;
    expect(desc.kvs!.map((x) => unb64(x.key))).toEqual(['/p/c', '/p/b', '/p/a']);
    const atRev = all.kvs![0]!.mod_revision;
    await ctl('put', '/p/a', 'changed');
    const old = JSON.parse((await ctl('get', '/p/a', '--rev', String(atRev), '-w', 'json')).stdout) as JsonRange;
    expect(unb64(old.kvs![0]!.value!)).toBe('v/p/a');
  });

  test('del --prefix --prev-kv prints the count and the deleted pairs', async () => {
    await ctl('put', '/d/1', 'x');
    await ctl('put', '/d/2', 'y');
    const r = await ctl('del', '/d/', '--prefix', '--prev-kv');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n').filter((l) => l !== '')).toEqual(['2', '/d/1', 'x', '/d/2', 'y']);
    expect((JSON.parse((await ctl('get', '/d/', '--prefix', '-w', 'json')).stdout) as JsonRange).count ?? 0).toBe(0);
  });

  test('txn: a compare on the mod revision that holds runs the success branch', async () => {
    await ctl('put', '/t/k', 'v1');
    const rev = (JSON.parse((await ctl('get', '/t/k', '-w', 'json')).stdout) as JsonRange).kvs![0]!.mod_revision;
    const script = `mod("/t/k") = "${rev}"\n\nput /t/k v2\n\nget /t/k\n\n`;
    const ok = await new Promise<{ code: number; stdout: string }>((resolve) => {
      const p = spawn('etcdctl', [`--endpoints=${c.endpoints().join(',')}`, 'txn', '-w', 'json'], { env: { ...process.env, ETCDCTL_API: '3' } });
      let out = '';
      p.stdout.on('data', (d: Buffer) => (out += d.toString()));
      p.on('close', (code) => resolve({ code: code ?? 1, stdout: out }));
      p.stdin.end(script);
    });
    expect(ok.code).toBe(0);
    const j = JSON.parse(ok.stdout) as { succeeded?: boolean; responses: unknown[] };
    expect(j.succeeded).toBe(true);
    expect(j.responses).toHaveLength(1);
    expect(unb64((JSON.parse((await ctl('get', '/t/k', '-w', 'json')).stdout) as JsonRange).kvs![0]!.value!)).toBe('v2');
  });

  test('compaction, then reading below it fails with etcd\'s compacted error', async () => {
    await ctl('put', '/c/k', '1');
    const rev = (JSON.parse((await ctl('put', '/c/k', '2', '-w', 'json')).stdout) as { header: { revision: number } }).header.revision;
    const r = await ctl('compaction', String(rev));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(`compacted revision ${rev}`);
    const old = await ctl('get', '/c/k', '--rev', String(rev - 1));
    expect(old.code).not.toBe(0);
    expect(old.stderr).toContain('etcdserver: mvcc: required revision has been compacted');
  });
});

describe('etcdctl lease', () => {
  test('grant, list, put --lease, revoke deletes the key', async () => {
    const g = await ctl('lease', 'grant', '60');
    expect(g.code, g.stderr).toBe(0);
    const m = /lease ([0-9a-f]+) granted with TTL\((\d+)s\)/.exec(g.stdout);
    expect(m).not.toBeNull();
    const id = m![1]!;
    expect(Number(m![2])).toBe(60);
    expect((await ctl('lease', 'list')).stdout).toContain(id);
    expect((await ctl('put', '/l/k', 'v', '--lease', id)).code).toBe(0);
    // JSON.parse would round the int64 lease id: read it from the text.
    const lease = /"lease":(\d+)/.exec((await ctl('get', '/l/k', '-w', 'json')).stdout)![1]!;
    // etcdctl prints lease ids as %016x: compare numbers, not strings (an id below 2^60 has a leading 0).
    expect(BigInt(lease)).toBe(BigInt(`0x${id}`));
    const rv = await ctl('lease', 'revoke', id);
    expect(rv.code, rv.stderr).toBe(0);
    expect(rv.stdout).toContain(`lease ${id} revoked`);
    expect((JSON.parse((await ctl('get', '/l/k', '-w', 'json')).stdout) as JsonRange).count ?? 0).toBe(0);
  });

  test('revoking an unknown lease: NotFound "etcdserver: requested lease not found"', async () => {
    const r = await ctl('lease', 'revoke', '123abc');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('etcdserver: requested lease not found');
  });
});

test('put with an empty key: etcd\'s "key is not provided"', async () => {
  const r = await ctl('put', '', 'v');
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain('etcdserver: key is not provided');
});

/** Runs a long-lived etcdctl command until `done(stdout)` holds, then stops it; resolves with its stdout. */
function ctlUntil(args: string[], done: (out: string) => boolean, onStart?: () => Promise<void>): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn('etcdctl', [`--endpoints=${c.endpoints().join(',')}`, ...args], { env: { ...process.env, ETCDCTL_API: '3' } });
    let out = '';
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`etcdctl ${args.join(' ')} did not produce the expected output: ${out}`));
    }, 15_000);
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (done(out)) {
        clearTimeout(timer);
        p.kill('SIGTERM');
        resolve(out);
      }
    });
    if (onStart !== undefined) void onStart();
  });
}

describe('etcdctl watch', () => {
  test('watch --prefix --prev-kv --rev replays history with previous values, then follows new writes', async () => {
    const first = JSON.parse((await ctl('put', '/w/a', '1', '-w', 'json')).stdout) as { header: { revision: number } };
    await ctl('put', '/w/a', '2');
    const out = await ctlUntil(['watch', '/w/', '--prefix', '--prev-kv', '--rev', String(first.header.revision)], (o) => o.includes('late'), async () => {
      await new Promise((r) => setTimeout(r, 300));
      await ctl('put', '/w/b', 'late');
    });
    const lines = out.split('\n').filter((l) => l !== '');
    // PUT / key / value for the first; PUT / key / prev value / key / value with --prev-kv.
    expect(lines.slice(0, 3)).toEqual(['PUT', '/w/a', '1']);
    expect(lines.slice(3, 8)).toEqual(['PUT', '/w/a', '1', '/w/a', '2']);
    expect(lines.slice(8)).toEqual(['PUT', '/w/b', 'late']);
  });
});

describe('etcdctl lease keep-alive and timetolive', () => {
  test('keep-alive renews; timetolive --keys lists the attached keys', async () => {
    const g = await ctl('lease', 'grant', '30');
    const id = /lease ([0-9a-f]+) granted/.exec(g.stdout)![1]!;
    await ctl('put', '/ka/k', 'v', '--lease', id);
    const ka = await ctlUntil(['lease', 'keep-alive', id], (o) => /keepalived with TTL\(\d+\)/.test(o));
    expect(ka).toMatch(new RegExp(`lease ${id} keepalived with TTL\\(30\\)`));
    const t = await ctl('lease', 'timetolive', id, '--keys');
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).toMatch(new RegExp(`lease ${id} granted with TTL\\(30s\\), remaining\\(\\d+s\\), attached keys\\(\\[/ka/k\\]\\)`));
    const missing = await ctl('lease', 'timetolive', 'abcdef');
    expect(missing.stdout).toContain('lease 0000000000abcdef already expired');
  });
});
