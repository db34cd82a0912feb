import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { FLAGS, parseFlags, type MemberConfig } from '../../src/etcd/cli/flags.js';
import { jsonLog } from '../../src/etcd/cli/member.js';

// etcd 3.6 graduated most experimental flags (`--watch-progress-notify-interval`), and kubeadm's
// manifests for it use those names and `--feature-gates=InitialCorruptCheck=true`. Debian ships etcd
// 3.4, so 3.6's flag names are written here, from etcd 3.6's embed.Config.AddFlags and etcdmain.

const ETCD_36_FLAGS = `
data-dir wal-dir listen-peer-urls listen-client-urls listen-client-http-urls listen-metrics-urls max-snapshots max-wals name
snapshot-count heartbeat-interval election-timeout initial-election-tick-advance quota-backend-bytes backend-bbolt-freelist-type
backend-batch-interval backend-batch-limit max-txn-ops max-request-bytes grpc-keepalive-min-time grpc-keepalive-interval
grpc-keepalive-timeout socket-reuse-port socket-reuse-address max-concurrent-streams raft-read-timeout raft-write-timeout
initial-advertise-peer-urls advertise-client-urls discovery discovery-endpoints discovery-token discovery-dial-timeout
discovery-request-timeout discovery-keepalive-time discovery-keepalive-timeout discovery-insecure-transport
discovery-insecure-skip-tls-verify discovery-cert discovery-key discovery-cacert discovery-user discovery-password discovery-proxy
discovery-srv discovery-srv-name initial-cluster initial-cluster-token strict-reconfig-check pre-vote cert-file key-file
client-cert-file client-key-file client-cert-auth client-crl-file client-cert-allowed-hostname trusted-ca-file auto-tls
peer-cert-file peer-key-file peer-client-cert-file peer-client-key-file peer-skip-client-san-verification peer-client-cert-auth peer-trusted-ca-file peer-auto-tls self-signed-cert-validity peer-crl-file
peer-cert-allowed-cn peer-cert-allowed-hostname cipher-suites experimental-peer-skip-client-san-verification
tls-min-version tls-max-version cors host-whitelist logger log-outputs log-level log-format enable-log-rotation
log-rotation-config-json auto-compaction-retention auto-compaction-mode enable-pprof metrics experimental-enable-distributed-tracing
enable-distributed-tracing experimental-distributed-tracing-address distributed-tracing-address
experimental-distributed-tracing-service-name distributed-tracing-service-name experimental-distributed-tracing-instance-id
distributed-tracing-instance-id experimental-distributed-tracing-sampling-rate distributed-tracing-sampling-rate auth-token
bcrypt-cost auth-token-ttl enable-grpc-gateway experimental-initial-corrupt-check experimental-corrupt-check-time
corrupt-check-time experimental-compact-hash-check-enabled experimental-compact-hash-check-time compact-hash-check-time
experimental-enable-lease-checkpoint experimental-enable-lease-checkpoint-persist experimental-compaction-batch-limit
compaction-batch-limit experimental-compaction-sleep-interval compaction-sleep-interval experimental-watch-progress-notify-interval
watch-progress-notify-interval downgrade-check-time experimental-downgrade-check-time experimental-warning-apply-duration
warning-apply-duration warning-unary-request-duration experimental-warning-unary-request-duration experimental-memory-mlock
memory-mlock experimental-txn-mode-write-with-shared-buffer experimental-stop-grpc-service-on-defrag
experimental-bootstrap-defrag-threshold-megabytes bootstrap-defrag-threshold-megabytes max-learners experimental-max-learners
experimental-snapshot-catchup-entries snapshot-catchup-entries unsafe-no-fsync force-new-cluster feature-gates
config-file discovery-fallback initial-cluster-state v2-deprecation
`.split(/\s+/).filter((f) => f !== '');

function config(argv: string[]): MemberConfig {
  const p = parseFlags(argv);
  if (p.kind !== 'run') throw new Error(p.kind);
  return p.config;
}

const dir = mkdtempSync(join(tmpdir(), 'raftkit-etcd36-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('every flag etcd 3.6 defines is a raftkit flag', () => {
  const ours = new Set(FLAGS.map((f) => f.name));
  expect(ETCD_36_FLAGS.filter((f) => !ours.has(f))).toEqual([]);
});

test('kubeadm\'s etcd 3.6 manifest starts: --feature-gates=InitialCorruptCheck=true and --watch-progress-notify-interval', () => {
  const c = config([
    '--advertise-client-urls=https://10.0.0.1:2379', '--cert-file=/pki/server.crt', '--client-cert-auth=true', '--data-dir=/var/lib/etcd',
    '--feature-gates=InitialCorruptCheck=true', '--initial-advertise-peer-urls=https://10.0.0.1:2380', '--initial-cluster=cp1=https://10.0.0.1:2380',
    '--key-file=/pki/server.key', '--listen-client-urls=https://127.0.0.1:2379,https://10.0.0.1:2379', '--listen-metrics-urls=http://127.0.0.1:2381',
    '--listen-peer-urls=https://10.0.0.1:2380', '--name=cp1', '--peer-cert-file=/pki/peer.crt', '--peer-client-cert-auth=true', '--peer-key-file=/pki/peer.key',
    '--peer-trusted-ca-file=/pki/ca.crt', '--snapshot-count=10000', '--trusted-ca-file=/pki/ca.crt', '--watch-progress-notify-interval=5s',
  ]);
  expect(c).toMatchObject({ initialCorruptCheck: true, progressNotifyMs: 5000, snapshotCount: 10000 });
  expect(config([]).initialCorruptCheck).toBe(false);
});

test('a graduated name sets what its experimental flag sets; given both, the experimental one wins, as in etcd 3.6', () => {
  expect(config(['--corrupt-check-time=3m', '--compaction-batch-limit=200', '--warning-apply-duration=1s', '--max-learners=2', '--snapshot-catchup-entries=700', '--compaction-sleep-interval=0s']))
    .toMatchObject({ corruptCheckMs: 180_000, compactionBatchLimit: 200, warningApplyMs: 1000, maxLearners: 2, snapshotCatchupEntries: 700, compactionSleepMs: 0 });
  expect(config(['--watch-progress-notify-interval=5s', '--experimental-watch-progress-notify-interval=7s']).progressNotifyMs).toBe(7000);
  // etcd's defaults where 3.6 has them: a 10 ms pause between compaction batches, 5,000 entries kept for slow followers.
  expect(config([])).toMatchObject({ compactionSleepMs: 10, snapshotCatchupEntries: 5000, bootstrapDefragThresholdMb: 0, logFormat: 'json' });
  // The graduated name's value is checked even when the experimental one wins.
  expect(() => config(['--watch-progress-notify-interval=soon', '--experimental-watch-progress-notify-interval=7s'])).toThrow(/invalid value "soon" for flag -watch-progress-notify-interval: parse error/);
  // A refusal names the flag given.
  expect(() => config(['--memory-mlock'])).toThrow(/^--memory-mlock=true is not supported: Node cannot lock its memory in RAM$/);
});

test('the compact hash check (its gate or its flag) runs the corruption check every --compact-hash-check-time, unless --corrupt-check-time is set', () => {
  expect(config([]).corruptCheckMs).toBe(0);
  expect(config(['--compact-hash-check-time=2m']).corruptCheckMs).toBe(0);
  expect(config(['--feature-gates=CompactHashCheck=true']).corruptCheckMs).toBe(60_000);
  expect(config(['--feature-gates=CompactHashCheck=true', '--compact-hash-check-time=30s']).corruptCheckMs).toBe(30_000);
  expect(config(['--experimental-compact-hash-check-enabled', '--experimental-compact-hash-check-time=45s']).corruptCheckMs).toBe(45_000);
  expect(config(['--feature-gates=CompactHashCheck=true', '--corrupt-check-time=5m']).corruptCheckMs).toBe(300_000);
  expect(config(['--feature-gates=AllAlpha=true,CompactHashCheck=false']).corruptCheckMs).toBe(0);
});

test('--feature-gates is parsed as etcd\'s feature gate: its messages, AllAlpha, and no gate given twice', () => {
  const fails = (gates: string, message: string | RegExp): void => {
    expect(() => config([`--feature-gates=${gates}`])).toThrow(message);
  };
  fails('InitialCorruptCheck', 'invalid value "InitialCorruptCheck" for flag -feature-gates: missing bool value for InitialCorruptCheck');
  fails('InitialCorruptCheck=yes', 'invalid value "InitialCorruptCheck=yes" for flag -feature-gates: invalid value of InitialCorruptCheck=yes, err: strconv.ParseBool: parsing "yes": invalid syntax');
  fails('InitialCorruptCheck=true,NoSuchGate=true', 'unrecognized feature gate: NoSuchGate');
  expect(config(['--feature-gates=AllAlpha=true']).initialCorruptCheck).toBe(true);
  expect(config(['--feature-gates=AllAlpha=true, InitialCorruptCheck=F']).initialCorruptCheck).toBe(false);
  expect(config(['--feature-gates= InitialCorruptCheck = 1 ,TxnModeWriteWithSharedBuffer=false,']).initialCorruptCheck).toBe(true);
  expect(() => config(['--experimental-initial-corrupt-check=false', '--feature-gates=InitialCorruptCheck=true']))
    .toThrow('cannot specify both flags: --experimental-initial-corrupt-check=false and --feature-gates=InitialCorruptCheck=true at the same time, please just use --feature-gates=InitialCorruptCheck=true');
  expect(() => config(['--experimental-stop-grpc-service-on-defrag', '--feature-gates=StopGRPCServiceOnDefrag=false'])).toThrow(/cannot specify both flags/);
});

test('the flags of what raftkit lacks are checked by their kind, and those with a single setting refuse another', () => {
  expect(() => config(['--raft-read-timeout=3s', '--discovery-dial-timeout=1s', '--self-signed-cert-validity=5', '--v2-deprecation=gone', '--distributed-tracing-sampling-rate=10'])).not.toThrow();
  expect(() => config(['--raft-read-timeout=3'])).toThrow(/invalid value "3" for flag -raft-read-timeout: parse error/);
  expect(() => config(['--v2-deprecation=later'])).toThrow(/must be one of not-yet, write-only, write-only-drop-data, gone/);
  expect(() => config(['--discovery-token=abc'])).toThrow(/--discovery-token=abc is not supported: raftkit bootstraps from --initial-cluster only/);
  expect(() => config(['--enable-log-rotation'])).toThrow(/not supported/);
  expect(() => config(['--enable-distributed-tracing=true'])).toThrow(/not supported: raftkit exports no OpenTelemetry traces/);
});

test('a config file with 3.6\'s names: feature gates, and durations in nanoseconds', () => {
  const path = join(dir, 'etcd36.yml');
  writeFileSync(path, 'name: m1\nfeature-gates: InitialCorruptCheck=true\nwatch-progress-notify-interval: 5000000000\ncompaction-sleep-interval: 20000000\nlog-format: console\n');
  expect(config(['--config-file', path])).toMatchObject({ initialCorruptCheck: true, progressNotifyMs: 5000, compactionSleepMs: 20, logFormat: 'console', configIgnored: [] });
});

test('--log-format console writes zap\'s console lines: time, level, message, fields as JSON, tab-separated', () => {
  const lines: string[] = [];
  const log = jsonLog('info', (l) => lines.push(l), 'console');
  log('warn', 'member started', { name: 'm1' });
  log('info', 'no fields');
  log('debug', 'below the level');
  expect(lines).toHaveLength(2);
  expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z\tWARN\tmember started\t\{"name":"m1"\}\n$/);
  expect(lines[1]).toMatch(/^\S+\tINFO\tno fields\n$/);
});
