import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { FlagError, parseFlags, type MemberConfig } from '../../src/etcd/cli/flags.js';

// etcd's --config-file: a YAML file of etcd's settings (its flags' names; TLS in
// client-transport-security and peer-transport-security blocks; durations in nanoseconds, as Go
// reads them). When it is given, the other flags and the ETCD_* variables are ignored, as in etcd.

const dir = mkdtempSync(join(tmpdir(), 'raftkit-config-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

function config(argv: string[], env: Record<string, string> = {}): MemberConfig {
  const p = parseFlags(argv, env);
  if (p.kind !== 'run') throw new Error(p.kind);
  return p.config;
}

// Shaped as etcd's sample configuration file (etcd.conf.yml.sample), with settings raftkit lacks.
const SAMPLE = `
name: 'm1'
data-dir: /var/lib/etcd
wal-dir: /var/lib/etcd-wal
snapshot-count: 10000
heartbeat-interval: 100
election-timeout: 1000
quota-backend-bytes: 8589934592
listen-peer-urls: https://10.0.0.1:2380
listen-client-urls: https://127.0.0.1:2379,https://10.0.0.1:2379
listen-metrics-urls: http://127.0.0.1:2381
max-snapshots: 5
max-wals: 5
cors:
initial-advertise-peer-urls: https://10.0.0.1:2380
advertise-client-urls: https://10.0.0.1:2379
discovery:
initial-cluster: m1=https://10.0.0.1:2380
initial-cluster-token: 'etcd-cluster'
initial-cluster-state: 'new'
strict-reconfig-check: false
enable-pprof: false
proxy: 'off'
proxy-failure-wait: 5000
cluster-active-size: 9
client-transport-security:
  cert-file: /pki/server.crt
  key-file: /pki/server.key
  client-cert-auth: true
  trusted-ca-file: /pki/ca.crt
  auto-tls: false
peer-transport-security:
  cert-file: /pki/peer.crt
  key-file: /pki/peer.key
  client-cert-auth: true
  trusted-ca-file: /pki/ca.crt
  auto-tls: false
  allowed-cn: [etcd-peer, etcd-peer-2]
experimental-peer-skip-client-san-verification: true
log-level: warn
logger: zap
log-outputs: [stderr]
force-new-cluster: false
auto-compaction-mode: periodic
auto-compaction-retention: "1"
experimental-initial-corrupt-check: true
experimental-watch-progress-notify-interval: 5000000000
cipher-suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]
`;

test('etcd\'s sample shape: every setting raftkit has is read, TLS from its blocks, durations from nanoseconds; the rest is listed as ignored', () => {
  const c = config(['--config-file', file('sample.yml', SAMPLE)]);
  expect(c).toMatchObject({
    name: 'm1', dataDir: '/var/lib/etcd', walDir: '/var/lib/etcd-wal', snapshotCount: 10000, heartbeatMs: 100, electionMs: 1000, quotaBackendBytes: 8589934592,
    listenPeerUrls: ['https://10.0.0.1:2380'], listenClientUrls: ['https://127.0.0.1:2379', 'https://10.0.0.1:2379'], listenMetricsUrls: ['http://127.0.0.1:2381'],
    initialClusterToken: 'etcd-cluster', initialClusterState: 'new', strictReconfigCheck: false, logLevel: 'warn', logOutputs: ['stderr'],
    autoCompactionMode: 'periodic', autoCompactionRetention: 3_600_000, progressNotifyMs: 5000,
  });
  expect(c.clientTls).toMatchObject({ certFile: '/pki/server.crt', keyFile: '/pki/server.key', clientCertAuth: true, trustedCaFile: '/pki/ca.crt' });
  expect(c.peerTls).toMatchObject({ certFile: '/pki/peer.crt', keyFile: '/pki/peer.key', clientCertAuth: true, trustedCaFile: '/pki/ca.crt', allowedCns: ['etcd-peer', 'etcd-peer-2'], skipClientSanVerify: true });
  expect(c).toMatchObject({ maxSnapshots: 5, maxWals: 5 });
  // etcd 0.4's cluster size, which etcd ignores too (discovery and proxy are flags taken at their defaults).
  expect(c.configIgnored.sort()).toEqual(['cluster-active-size']);
});

test('the other flags and ETCD_* variables are ignored when a config file is given, as in etcd', () => {
  const p = file('small.yml', 'name: m2\ninitial-cluster: m2=http://127.0.0.1:2380\ninitial-advertise-peer-urls: http://127.0.0.1:2380\n');
  // etcd reads no ETCD_* variable then: neither a bad value, nor one a flag shadows, nor an unknown one is looked at.
  const c = config(['--config-file', p, '--snapshot-count', '5'], { ETCD_HEARTBEAT_INTERVAL: '50', ETCD_NAME: 'other', ETCD_SNAPSHOT_COUNT: 'abc', ETCD_FOO: '1' });
  expect(c).toMatchObject({ name: 'm2', snapshotCount: 100000, heartbeatMs: 100, unrecognizedEnv: [] });
  // A bad value on the command line is still refused: etcd parses the command line first.
  expect(() => config(['--config-file', p, '--snapshot-count', 'abc'])).toThrow('invalid value "abc" for flag -snapshot-count: parse error');
  // Given through ETCD_CONFIG_FILE, as etcd reads it too.
  expect(config([], { ETCD_CONFIG_FILE: p }).name).toBe('m2');
});

test('a file that cannot be read, is not YAML or not a mapping, or holds a bad value is refused, naming the file or the setting', () => {
  const refused = (argv: string[]): FlagError => {
    try {
      parseFlags(argv);
    } catch (e) {
      expect(e).toBeInstanceOf(FlagError);
      return e as FlagError;
    }
    throw new Error('accepted');
  };
  expect(refused(['--config-file', join(dir, 'missing.yml')])).toMatchObject({ flag: 'config-file', message: expect.stringContaining('missing.yml') as string });
  expect(refused(['--config-file', file('bad.yml', 'name: [unclosed\n')])).toMatchObject({ flag: 'config-file', message: expect.stringContaining('not YAML') as string });
  expect(refused(['--config-file', file('list.yml', '- a\n- b\n')])).toMatchObject({ flag: 'config-file', message: expect.stringContaining('not a mapping') as string });
  expect(refused(['--config-file', file('tls.yml', 'client-transport-security: yes\n')])).toMatchObject({ flag: 'config-file' });
  // A value is checked as the flag's would be.
  expect(refused(['--config-file', file('value.yml', 'name: m1\nheartbeat-interval: fast\n')])).toMatchObject({ flag: 'heartbeat-interval' });
  expect(refused(['--config-file', file('v2.yml', 'name: m1\nenable-v2: true\n')])).toMatchObject({ flag: 'enable-v2' });
});

test('etcd 3.5\'s settings: unsafe-no-fsync, listen-client-http-urls, and the socket-options block', () => {
  const base = 'name: m1\ninitial-cluster: m1=http://127.0.0.1:2380\ninitial-advertise-peer-urls: http://127.0.0.1:2380\n';
  const c = config(['--config-file', file('etcd35.yml', `${base}unsafe-no-fsync: true\nlisten-client-http-urls: http://127.0.0.1:2381\nsocket-options:\n  reuse-address: true\n  reuse-port: false\n  other: 1\n`)]);
  expect(c).toMatchObject({ unsafeNoFsync: true, listenClientHttpUrls: ['http://127.0.0.1:2381'], socketReuseAddress: true, socketReusePort: false, configIgnored: ['socket-options.other'] });
});
