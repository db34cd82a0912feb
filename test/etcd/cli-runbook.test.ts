import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { memberIdFor } from '../../src/etcd/members.js';
import { ETCD_API_VERSION, RAFTKIT_VERSION } from '../../src/etcd/version.js';
import { etcdctl, parseTable, untilValue, type CtlResult } from './helpers.js';
import { ports, spawnRaftkit, startProcCluster, type ProcCluster } from './process-cluster.js';

// An operator's runbook with the real etcdctl against three `raftkit` processes with client TLS
// (client-cert auth) and peer TLS on loopback. Every output is parsed.
let c: ProcCluster;
const ctl = (...args: string[]): Promise<CtlResult> => etcdctl(c.endpoints(), [...c.ctlTls, ...args]);
// Membership changes must reach the leader (raftkit answers "etcdserver: not leader" elsewhere; see notes).
async function leaderCtl(...args: string[]): Promise<CtlResult> {
  const rows = JSON.parse((await ctl('endpoint', 'status', '-w', 'json')).stdout) as JsonStatus[];
  const leader = rows.find((r) => r.Status.header.member_id === r.Status.leader)!;
  return etcdctl([leader.Endpoint], [...c.ctlTls, ...args]);
}

interface JsonStatus { Endpoint: string; Status: { header: { member_id: number }; version: string; leader: number; raftTerm: number } }

const until = untilValue;

beforeAll(async () => {
  c = await startProcCluster(['m1', 'm2', 'm3']);
}, 60_000);
afterAll(async () => {
  await c.close();
});

describe('raftkit processes with etcdctl', () => {
  test('endpoint health and endpoint status (table and json) report a healthy cluster with one leader', async () => {
    const h = await until('healthy', async () => {
      const r = await ctl('endpoint', 'health');
      return r.code === 0 ? r : undefined;
    });
    expect(`${h.stdout}${h.stderr}`.split('\n').filter((l) => / is healthy: successfully committed proposal/.test(l))).toHaveLength(3);
    const s = await ctl('endpoint', 'status', '-w', 'json');
    expect(s.code, s.stderr).toBe(0);
    const rows = JSON.parse(s.stdout) as JsonStatus[];
    expect(new Set(rows.map((r) => r.Status.leader)).size).toBe(1);
    expect(rows.every((r) => r.Status.version === ETCD_API_VERSION)).toBe(true);
    const table = await ctl('endpoint', 'status', '-w', 'table');
    expect(table.stdout).toContain('IS LEADER');
    expect(table.stdout.split('\n').filter((l) => /\|\s+true\s+\|/.test(l))).toHaveLength(1);
  });

  test('endpoint status --cluster and endpoint health --cluster (table and json) reach every member at its advertised https URL', async () => {
    // etcdctl dials each member's client URL from MemberList and sends it, scheme included, as the
    // HTTP/2 :authority: EtcdServer's door rewrites it (client-cert auth still applies).
    const urls = [...c.procs.values()].map((p) => p.client).sort();
    const json = await ctl('endpoint', 'status', '--cluster', '-w', 'json');
    expect(json.code, json.stderr).toBe(0);
    const rows = JSON.parse(json.stdout) as (JsonStatus & { Status: { header: { revision: number; raft_term: number } } })[];
    expect(rows.map((r) => r.Endpoint).sort()).toEqual(urls);
    expect(new Set(rows.map((r) => r.Status.leader)).size).toBe(1);
    expect(rows.filter((r) => r.Status.header.member_id === r.Status.leader)).toHaveLength(1);
    expect(rows.every((r) => r.Status.header.revision >= 1 && r.Status.raftTerm >= 1 && r.Status.header.raft_term === r.Status.raftTerm)).toBe(true);
    const table = await ctl('endpoint', 'status', '--cluster', '-w', 'table');
    expect(table.code, table.stderr).toBe(0);
    const cells = parseTable(table.stdout);
    expect(cells.map((r) => r['ENDPOINT']).sort()).toEqual(urls);
    expect(cells.map((r) => r['ID']).sort()).toEqual(rows.map((r) => r.Status.header.member_id.toString(16)).sort());
    expect(cells.filter((r) => r['IS LEADER'] === 'true')).toHaveLength(1);
    expect(cells.every((r) => r['VERSION'] === ETCD_API_VERSION && Number(r['RAFT TERM']) >= 1 && r['ERRORS'] === '')).toBe(true);
    const health = await ctl('endpoint', 'health', '--cluster', '-w', 'json');
    expect(health.code, health.stderr).toBe(0);
    expect((JSON.parse(health.stdout) as { endpoint: string; health: boolean }[]).map((h) => [h.endpoint, h.health]).sort()).toEqual(urls.map((u) => [u, true]));
    const plain = await ctl('endpoint', 'health', '--cluster');
    expect(plain.code, plain.stderr).toBe(0);
    expect(`${plain.stdout}${plain.stderr}`.split('\n').filter((l) => / is healthy: successfully committed proposal/.test(l)).map((l) => l.split(' ')[0]).sort()).toEqual(urls);
    const healthTable = parseTable((await ctl('endpoint', 'health', '--cluster', '-w', 'table')).stdout);
    expect(healthTable.map((r) => [r['ENDPOINT'], r['HEALTH']]).sort()).toEqual(urls.map((u) => [u, 'true']));
  });

  test('put and get through the TLS client URLs', async () => {
    expect((await ctl('put', 'runbook', 'ok')).stdout.trim()).toBe('OK');
    expect((await ctl('get', 'runbook', '--print-value-only')).stdout.trim()).toBe('ok');
  });

  test('a client without a certificate is refused', async () => {
    const r = await etcdctl(c.endpoints(), ['--cacert', c.pki.ca.ca!.file, '--dial-timeout=1s', 'get', 'runbook']);
    expect(r.code).not.toBe(0);
  });

  test('member list -w json: three voters with names and peer URLs', async () => {
    const r = await ctl('member', 'list', '-w', 'json');
    expect(r.code, r.stderr).toBe(0);
    const ids = [...r.stdout.matchAll(/"ID":(\d+)/g)].map((m) => BigInt(m[1]!));
    expect(ids.sort()).toEqual(['m1', 'm2', 'm3'].map((n) => BigInt(memberIdFor([c.procs.get(n)!.peer], c.token))).sort());
    const j = JSON.parse(r.stdout) as { members: { name: string; peerURLs: string[] }[] };
    expect(j.members.map((m) => m.name).sort()).toEqual(['m1', 'm2', 'm3']);
  });

  test('member list on every member (followers too) shows every member\'s published --advertise-client-urls', async () => {
    const want = [...c.procs.values()].map((p) => p.client).sort();
    for (const endpoint of c.endpoints()) {
      const urls = await until(`client URLs listed by ${endpoint}`, async () => {
        const r = await etcdctl([endpoint], [...c.ctlTls, 'member', 'list', '-w', 'json']);
        const got = (JSON.parse(r.stdout) as { members: { clientURLs?: string[] }[] }).members.flatMap((m) => m.clientURLs ?? []).sort();
        return got.join(' ') === want.join(' ') ? got : undefined;
      });
      expect(urls).toEqual(want);
    }
  });

  test('member add --learner, the 4th member joins with --initial-cluster-state existing, promote, remove', async () => {
    const p4 = await ports();
    const peer = `https://127.0.0.1:${p4.peer}`;
    const add = await leaderCtl('member', 'add', 'm4', `--peer-urls=${peer}`, '--learner');
    expect(add.code, add.stderr).toBe(0);
    const id = memberIdFor([peer], c.token);
    expect(add.stdout).toMatch(new RegExp(`Member\\s+${id.toString(16)} added to cluster`));
    expect(add.stdout).toContain('ETCD_INITIAL_CLUSTER_STATE="existing"');
    const initial = [...c.procs.values()].map((p) => `${p.name}=${p.peer}`).concat(`m4=${peer}`).join(',');
    await c.start('m4', 'existing', initial, p4);
    // A voter change waits for a quorum in contact for 5 s (etcd's HealthInterval), and under load
    // a member's contact can lapse and start again: 40 s for the promotion and the removal.
    const promoted = await until('m4 promoted', async () => {
      const r = await leaderCtl('member', 'promote', id.toString(16));
      return r.code === 0 ? r : undefined;
    }, 40_000);
    expect(promoted.stdout).toMatch(new RegExp(`Member\\s+${id.toString(16)} promoted in cluster`));
    const list = await ctl('member', 'list', '-w', 'json');
    expect(list.stdout).not.toContain('"isLearner":true');
    expect([...list.stdout.matchAll(/"ID":(\d+)/g)]).toHaveLength(4);
    // etcd refuses a removal while too few of the remaining members have been in contact for 5 s
    // (under load a member's contact can lapse): an operator retries, and so does the test.
    const rm = await until('m4 removed', async () => {
      const r = await leaderCtl('member', 'remove', id.toString(16));
      return r.code === 0 || !/not enough started members|unhealthy cluster/.test(r.stderr) ? r : undefined;
    }, 40_000);
    expect(rm.code, rm.stderr).toBe(0);
    expect(rm.stdout).toMatch(new RegExp(`Member\\s+${id.toString(16)} removed from cluster`));
    expect([...(await ctl('member', 'list', '-w', 'json')).stdout.matchAll(/"ID":(\d+)/g)]).toHaveLength(3);
    // A removed member shuts down, as etcd does.
    expect(await c.procs.get('m4')!.exited).toBe(0);
  }, 120_000);

  test('move-leader transfers leadership to a follower', async () => {
    const rows = JSON.parse((await ctl('endpoint', 'status', '-w', 'json')).stdout) as JsonStatus[];
    const leader = rows[0]!.Status.leader;
    const follower = rows.map((r) => r.Status.header.member_id).find((m) => m !== leader)!;
    // JSON numbers above 2^53 would be rounded: member ids are 52-bit, so exact here.
    const r = await ctl('move-leader', follower.toString(16));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Leadership transferred');
    await until('every member follows the new leader', async () => {
      const after = JSON.parse((await ctl('endpoint', 'status', '-w', 'json')).stdout) as JsonStatus[];
      return after.every((x) => x.Status.leader === follower) ? true : undefined;
    });
  });

  test('/metrics, /health and /version on the metrics URL', async () => {
    const m1 = c.procs.get('m1')!;
    const metrics = await (await fetch(`${m1.metrics}/metrics`)).text();
    expect(metrics).toMatch(/^etcd_server_has_leader 1$/m);
    // The member's garbage collections (the Node.js counterpart of etcd's go_gc_duration_seconds; none may have run yet).
    expect(metrics).toMatch(/^# TYPE nodejs_gc_duration_seconds histogram$/m);
    // The process's memory, as etcd's dashboard and `etcdctl check datascale` read it.
    expect(Number(/^process_resident_memory_bytes (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThan(10 * 1024 * 1024);
    // endpoint status called Status on every member.
    expect(metrics).toMatch(/^grpc_server_handled_total\{grpc_type="unary",grpc_service="etcdserverpb.Maintenance",grpc_method="Status",grpc_code="OK"\} [1-9]/m);
    expect(metrics).toMatch(/^grpc_server_msg_received_total\{grpc_type="unary",grpc_service="etcdserverpb.Maintenance",grpc_method="Status"\} [1-9]/m);
    const health = await fetch(`${m1.metrics}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ health: 'true', reason: '' });
    expect(await (await fetch(`${m1.metrics}/version`)).json()).toEqual({ etcdserver: ETCD_API_VERSION, etcdcluster: '3.5.0', raftkit: RAFTKIT_VERSION });
  });

  test('SIGTERM stops a member gracefully (exit 0); the others keep a quorum', async () => {
    const m3 = c.procs.get('m3')!;
    m3.child.kill('SIGTERM');
    expect(await m3.exited).toBe(0);
    expect(m3.stderr).toContain('"stopped"');
    const r = await until('write after m3 stopped', async () => {
      const x = await ctl('put', 'after-m3', 'yes');
      return x.code === 0 ? x : undefined;
    });
    expect(r.stdout.trim()).toBe('OK');
  });
});

describe('the raftkit command line', () => {
  test('a bad flag or value exits non-zero with a message naming it', async () => {
    const r = spawnRaftkit(['--heartbeat-interval', 'fast']);
    expect(await r.exited).toBe(2);
    expect(r.output()).toContain('-heartbeat-interval');
    const u = spawnRaftkit(['--no-such-flag']);
    expect(await u.exited).toBe(2);
    expect(u.output()).toContain('flag provided but not defined: -no-such-flag');
    const d = spawnRaftkit(['--backend-batch-interval', '100']); // a duration needs its unit
    expect(await d.exited).toBe(2);
    expect(d.output()).toContain('-backend-batch-interval');
  });

  test('--help prints every flag', async () => {
    const r = spawnRaftkit(['--help']);
    expect(await r.exited).toBe(0);
    expect(r.output()).toContain('--initial-cluster-state');
    expect(r.output()).toContain('ETCD_LISTEN_METRICS_URLS');
    expect(r.output()).toContain('--backend-batch-interval <duration>');
    expect(r.output()).toContain('ETCD_BACKEND_BATCH_LIMIT');
  });
});
