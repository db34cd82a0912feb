import { describe, expect, test } from 'vitest';
import { FLAGS, FlagError, checkMembership, envName, helpText, nodeHasReusePort, parseDuration, parseFlags, type MemberConfig } from '../../src/etcd/cli/flags.js';
import { clientTlsOptions, peerTlsOptions } from '../../src/etcd/cli/tls-options.js';

const base = ['--name', 'm1', '--initial-cluster', 'm1=http://127.0.0.1:2380', '--initial-advertise-peer-urls', 'http://127.0.0.1:2380'];

function config(argv: string[], env: Record<string, string> = {}): MemberConfig {
  const p = parseFlags(argv, env);
  if (p.kind !== 'run') throw new Error(p.kind);
  return p.config;
}

describe('raftkit command flags (etcd names)', () => {
  test('defaults are etcd\'s', () => {
    const c = config(base);
    expect(c).toMatchObject({
      name: 'm1', dataDir: 'm1.etcd', walDir: '', configIgnored: [], maxSnapshots: 5, maxWals: 5, heartbeatMs: 100, electionMs: 1000, snapshotCount: 100000, maxRequestBytes: 1572864, maxTxnOps: 128,
      initialClusterState: 'new', initialClusterToken: 'etcd-cluster', progressNotifyMs: 600_000, listenClientUrls: ['http://localhost:2379'], logLevel: 'info',
      backendBatchIntervalMs: 100, backendBatchLimit: 10000, logOutputs: ['stderr'], preVote: true, forceNewCluster: false, strictReconfigCheck: true,
    });
  });

  test('--logger zap, --log-outputs and --pre-vote, as etcd\'s docker example and 3.5\'s defaults use them', () => {
    expect(config([...base, '--logger', 'zap', '--log-outputs', 'stderr'])).toMatchObject({ logOutputs: ['stderr'], preVote: true });
    expect(config([...base, '--log-outputs=default,/var/log/etcd.log,stdout,stderr']).logOutputs).toEqual(['stderr', '/var/log/etcd.log', 'stdout']);
    expect(config([...base, '--pre-vote=false']).preVote).toBe(false);
    expect(config([...base, '--force-new-cluster']).forceNewCluster).toBe(true);
    expect(config([...base, '--strict-reconfig-check=false']).strictReconfigCheck).toBe(false);
    // Retention caps etcd's manifests set; raftkit keeps only what is in use, which meets them.
    expect(config([...base, '--max-snapshots', '3', '--max-wals=0'])).toMatchObject({ maxSnapshots: 3, maxWals: 0 });
    expect(config(base).warningApplyMs).toBe(100);
    expect(config(base).keepaliveMinTimeMs).toBe(5000);
    expect(config([...base, '--grpc-keepalive-min-time', '1s']).keepaliveMinTimeMs).toBe(1000);
    // etcd's access controller: CORS origins (URLs with host:port, or *) and the host whitelist.
    expect(config(base)).toMatchObject({ cors: [], hostWhitelist: ['*'] });
    expect(config([...base, '--cors', 'http://a.example:8080,https://b.example:443', '--host-whitelist', 'localhost,etcd.example'])).toMatchObject({
      cors: ['http://a.example:8080', 'https://b.example:443'], hostWhitelist: ['localhost', 'etcd.example'],
    });
    expect(() => config([...base, '--cors', 'http://a.example'])).toThrow('URL address does not have the form "host:port": http://a.example');
    expect(config([...base, '--experimental-warning-apply-duration', '250ms']).warningApplyMs).toBe(250);
    expect(() => config([...base, '--max-wals', '-1'])).toThrow(/max-wals/);
  });

  test('--cipher-suites (Go\'s names, as OpenSSL\'s for Node), --tls-min-version, --tls-max-version and the CRL files', () => {
    const c = config([...base, '--cipher-suites', 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305,TLS_AES_128_GCM_SHA256', '--tls-max-version', 'TLS1.3', '--client-crl-file', 'c.crl', '--peer-crl-file=p.crl']);
    expect(c.tlsPolicy).toEqual({ ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-CHACHA20-POLY1305', minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' });
    expect([c.clientTls.crlFile, c.peerTls.crlFile]).toEqual(['c.crl', 'p.crl']);
    expect(config([...base, '--tls-min-version=TLS1.3']).tlsPolicy).toEqual({ minVersion: 'TLSv1.3' });
    expect(config(base, { ETCD_CIPHER_SUITES: 'TLS_RSA_WITH_AES_128_GCM_SHA256' }).tlsPolicy.ciphers).toBe('AES128-GCM-SHA256');
    expect(config([...base, '--peer-cert-allowed-cn', 'etcd-peer']).peerTls.allowedCns).toEqual(['etcd-peer']);
    expect(config([...base, '--peer-cert-allowed-hostname=peer.example.com']).peerTls.allowedHostnames).toEqual(['peer.example.com']);
    // A comma-separated list, as etcd 3.6 takes it.
    expect(config([...base, '--peer-cert-allowed-cn', 'etcd-peer, etcd-peer-2,']).peerTls.allowedCns).toEqual(['etcd-peer', 'etcd-peer-2']);
    expect(config([...base, '--peer-cert-allowed-hostname=a.example.com,b.example.com']).peerTls.allowedHostnames).toEqual(['a.example.com', 'b.example.com']);
  });

  test('--client-cert-allowed-hostname (one, or a list as etcd 3.6) and --experimental-peer-skip-client-san-verification, from flags or ETCD_*', () => {
    expect(config(base)).toMatchObject({ clientTls: { allowedHostnames: [] }, peerTls: { allowedHostnames: [], skipClientSanVerify: false } });
    expect(config([...base, '--client-cert-allowed-hostname', 'client.example.com']).clientTls.allowedHostnames).toEqual(['client.example.com']);
    expect(config([...base, '--client-cert-allowed-hostname=a.example.com, 10.0.0.7']).clientTls.allowedHostnames).toEqual(['a.example.com', '10.0.0.7']);
    expect(config(base, { ETCD_CLIENT_CERT_ALLOWED_HOSTNAME: 'env.example.com' }).clientTls.allowedHostnames).toEqual(['env.example.com']);
    expect(config([...base, '--client-cert-allowed-hostname', 'c.example.com']).peerTls.allowedHostnames).toEqual([]);
    expect(config([...base, '--experimental-peer-skip-client-san-verification']).peerTls.skipClientSanVerify).toBe(true);
    expect(config([...base, '--experimental-peer-skip-client-san-verification=false']).peerTls.skipClientSanVerify).toBe(false);
    expect(config(base, { ETCD_EXPERIMENTAL_PEER_SKIP_CLIENT_SAN_VERIFICATION: 'true' }).peerTls.skipClientSanVerify).toBe(true);
    expect(config([...base, '--experimental-peer-skip-client-san-verification']).clientTls.skipClientSanVerify).toBe(false);
    expect(() => config([...base, '--experimental-peer-skip-client-san-verification=maybe'])).toThrow(/experimental-peer-skip-client-san-verification/);
  });

  test('the command checks a dialling peer\'s SANs unless --experimental-peer-skip-client-san-verification, and a client\'s host name only with --client-cert-auth, as etcd', () => {
    const files = (f: string): string => `<${f}>`;
    const peer = [...base, '--peer-cert-file=p.crt', '--peer-key-file=p.key', '--peer-trusted-ca-file=ca.crt'];
    expect(peerTlsOptions(config(base), files)).toBeUndefined();
    expect(peerTlsOptions(config(peer), files)).toMatchObject({ cert: '<p.crt>', verifyClientSan: true, bindMemberId: false });
    expect(peerTlsOptions(config([...peer, '--experimental-peer-skip-client-san-verification']), files)).toMatchObject({ verifyClientSan: false });
    const client = [...base, '--cert-file=s.crt', '--key-file=s.key', '--trusted-ca-file=ca.crt', '--client-cert-allowed-hostname=a.example,b.example'];
    expect(clientTlsOptions(config([...client, '--client-cert-auth']), files)).toMatchObject({ ca: '<ca.crt>', clientCertAuth: true, allowedHostnames: ['a.example', 'b.example'] });
    expect(clientTlsOptions(config(client), files)).not.toHaveProperty('allowedHostnames');
  });

  test('--enable-v2, --auto-tls, --peer-auto-tls and --enable-pprof are taken at their default (false), as hardened manifests spell them out', () => {
    expect(() => config([...base, '--enable-v2=false', '--auto-tls=false', '--peer-auto-tls=false', '--enable-pprof=false'])).not.toThrow();
    expect(() => config(base, { ETCD_ENABLE_V2: 'false' })).not.toThrow();
    expect(config(base, { ETCD_PRE_VOTE: 'false', ETCD_LOG_OUTPUTS: 'stdout' })).toMatchObject({ preVote: false, logOutputs: ['stdout'] });
  });

  test('--backend-batch-interval takes a Go duration and --backend-batch-limit a count, from flags or ETCD_*; 0 means etcd\'s default', () => {
    expect(config([...base, '--backend-batch-interval', '1s', '--backend-batch-limit=500'])).toMatchObject({ backendBatchIntervalMs: 1000, backendBatchLimit: 500 });
    expect(config([...base, '--backend-batch-interval=250us'])).toMatchObject({ backendBatchIntervalMs: 0.25 });
    expect(config(base, { ETCD_BACKEND_BATCH_INTERVAL: '10ms', ETCD_BACKEND_BATCH_LIMIT: '64' })).toMatchObject({ backendBatchIntervalMs: 10, backendBatchLimit: 64 });
    expect(config([...base, '--backend-batch-interval', '0', '--backend-batch-limit', '0'])).toMatchObject({ backendBatchIntervalMs: 100, backendBatchLimit: 10000 });
  });

  test('etcd\'s signed flags take negative values, with etcd\'s meaning: no quota, a commit per write, one compaction batch', () => {
    expect(config([...base, '--quota-backend-bytes=-1', '--backend-batch-limit=-1', '--experimental-compaction-batch-limit=-1'])).toMatchObject({
      quotaBackendBytes: -1, backendBatchLimit: 1, compactionBatchLimit: Number.MAX_SAFE_INTEGER,
    });
    expect(config([...base, '--compaction-batch-limit=-0x10']).compactionBatchLimit).toBe(Number.MAX_SAFE_INTEGER);
    expect(config([...base, '--quota-backend-bytes=0x200000000']).quotaBackendBytes).toBe(8 * 1024 ** 3);
    expect(() => config([...base, '--quota-backend-bytes=9223372036854775808'])).toThrow('invalid value "9223372036854775808" for flag -quota-backend-bytes: value out of range');
    expect(() => config([...base, '--quota-backend-bytes=--1'])).toThrow('invalid value "--1" for flag -quota-backend-bytes: parse error');
  });

  test('--experimental-max-learners (etcd 3.6\'s name) sets how many learners MemberAdd allows; 1 by default, as etcd', () => {
    expect(config(base).maxLearners).toBe(1);
    expect(config([...base, '--experimental-max-learners', '3']).maxLearners).toBe(3);
    expect(config(base, { ETCD_EXPERIMENTAL_MAX_LEARNERS: '2' }).maxLearners).toBe(2);
  });

  test('corruption checks (kubeadm sets --experimental-initial-corrupt-check=true): off by default, as etcd; the check time is a Go duration', () => {
    expect(config(base)).toMatchObject({ initialCorruptCheck: false, corruptCheckMs: 0 });
    expect(config([...base, '--experimental-initial-corrupt-check=true', '--experimental-corrupt-check-time', '4m'])).toMatchObject({ initialCorruptCheck: true, corruptCheckMs: 240_000 });
    expect(config(base, { ETCD_EXPERIMENTAL_INITIAL_CORRUPT_CHECK: 'true', ETCD_EXPERIMENTAL_CORRUPT_CHECK_TIME: '10s' })).toMatchObject({ initialCorruptCheck: true, corruptCheckMs: 10_000 });
  });

  test('the command line of kubeadm\'s etcd static pod (v1.28) is accepted as it is', () => {
    const ip = '10.0.0.5';
    const pki = '/etc/kubernetes/pki/etcd';
    const c = config([
      `--advertise-client-urls=https://${ip}:2379`, `--cert-file=${pki}/server.crt`, '--client-cert-auth=true', '--data-dir=/var/lib/etcd',
      '--experimental-initial-corrupt-check=true', '--experimental-watch-progress-notify-interval=5s', `--initial-advertise-peer-urls=https://${ip}:2380`,
      `--initial-cluster=cp1=https://${ip}:2380`, `--key-file=${pki}/server.key`, `--listen-client-urls=https://127.0.0.1:2379,https://${ip}:2379`,
      '--listen-metrics-urls=http://127.0.0.1:2381', `--listen-peer-urls=https://${ip}:2380`, '--name=cp1', `--peer-cert-file=${pki}/peer.crt`,
      '--peer-client-cert-auth=true', `--peer-key-file=${pki}/peer.key`, `--peer-trusted-ca-file=${pki}/ca.crt`, '--snapshot-count=10000',
      `--trusted-ca-file=${pki}/ca.crt`,
    ]);
    expect(c).toMatchObject({ name: 'cp1', initialCorruptCheck: true, progressNotifyMs: 5000, snapshotCount: 10000, listenClientUrls: ['https://127.0.0.1:2379', `https://${ip}:2379`] });
    expect(c.clientTls).toEqual({ certFile: `${pki}/server.crt`, keyFile: `${pki}/server.key`, trustedCaFile: `${pki}/ca.crt`, clientCertAuth: true, crlFile: '', allowedCns: [], allowedHostnames: [], skipClientSanVerify: false, clientCertFile: '', clientKeyFile: '' });
    expect(c.peerTls).toEqual({ certFile: `${pki}/peer.crt`, keyFile: `${pki}/peer.key`, trustedCaFile: `${pki}/ca.crt`, clientCertAuth: true, crlFile: '', allowedCns: [], allowedHostnames: [], skipClientSanVerify: false, clientCertFile: '', clientKeyFile: '' });
    expect(c.tlsPolicy).toEqual({ minVersion: 'TLSv1.2' });
  });

  test('--flag=value, --flag value, -flag and bare booleans', () => {
    const c = config([...base, '-data-dir=/tmp/x', '--max-txn-ops', '64', '--client-cert-auth', '--trusted-ca-file', 'ca.crt', '--peer-client-cert-auth=false', '--experimental-watch-progress-notify-interval=5s']);
    expect(c.dataDir).toBe('/tmp/x');
    expect(c.maxTxnOps).toBe(64);
    expect(c.clientTls.clientCertAuth).toBe(true);
    expect(c.peerTls.clientCertAuth).toBe(false);
    expect(c.progressNotifyMs).toBe(5000);
  });

  test('--name alone makes the initial cluster that name at the advertised peer URLs, as etcd\'s default initial cluster does', () => {
    const c = config(['--name', 'abc', '--initial-advertise-peer-urls', 'http://127.0.0.1:2380,http://127.0.0.1:2381']);
    expect([...c.initialCluster]).toEqual([['abc', ['http://127.0.0.1:2380', 'http://127.0.0.1:2381']]]);
    expect([...config(['--name', 'abc']).initialCluster]).toEqual([['abc', ['http://localhost:2380']]]);
    expect([...config([]).initialCluster]).toEqual([['default', ['http://localhost:2380']]]);
    // An empty name or cluster, as etcd reads them: no member of that name.
    const nameless = config(['--name=']);
    expect([...nameless.initialCluster]).toEqual([['default', ['http://localhost:2380']]]);
    // Checked as the member starts with no data of its own, as etcd checks it.
    expect(() => checkMembership(nameless.name, nameless.initialCluster, nameless.initialAdvertisePeerUrls)).toThrow('couldn\'t find local name "" in the initial cluster configuration');
    expect(() => config(['--initial-cluster='])).toThrow('couldn\'t find local name "default" in the initial cluster configuration');
    // A cluster given is kept, and checked.
    expect(() => config(['--name', 'abc', '--initial-cluster', 'other=http://localhost:2380'])).toThrow('couldn\'t find local name "abc" in the initial cluster configuration');
  });

  test('etcd\'s longest election timeout, 50 s, is taken; a longer one is refused', () => {
    expect(config([...base, '--election-timeout', '50000']).electionMs).toBe(50_000);
    expect(() => config([...base, '--election-timeout', '50001'])).toThrow('--election-timeout[50001ms] is too long, and should be set less than 50000ms');
  });

  test('ETCD_* environment variables set the flags the command line does not give; one that a flag shadows is refused, as etcd refuses it', () => {
    const c = config(base, { ETCD_MAX_REQUEST_BYTES: '1024', ETCD_LOG_LEVEL: 'debug', ETCD_SNAPSHOT_COUNT: '', ETCD_FOO: 'bar', ETCDCTL_API: '3', PATH: '/bin' });
    expect(c.maxRequestBytes).toBe(1024);
    expect(c.name).toBe('m1');
    expect(c.logLevel).toBe('debug');
    // An empty variable is not used; etcd warns of it, as of one that names no flag (ETCDCTL_* is not etcd's prefix).
    expect(c.snapshotCount).toBe(100000);
    // As etcd: 0 is taken (the member then uses etcd's default and logs it).
    expect(config([...base, '--snapshot-count=0']).snapshotCount).toBe(0);
    expect(c.unrecognizedEnv).toEqual(['ETCD_SNAPSHOT_COUNT=', 'ETCD_FOO=bar']);
    // Those used, by flag name, for the member to log as etcd does.
    expect(c.usedEnv).toEqual([['ETCD_LOG_LEVEL', 'debug'], ['ETCD_MAX_REQUEST_BYTES', '1024']]);
    expect(envName('initial-cluster-state')).toBe('ETCD_INITIAL_CLUSTER_STATE');
    const shadowed = (): unknown => config(base, { ETCD_NAME: 'other' });
    expect(shadowed).toThrow(FlagError);
    expect(shadowed).toThrow('conflicting environment variable "ETCD_NAME" is shadowed by corresponding command-line flag (either unset environment variable or disable flag)');
  });

  test('auto compaction: periodic retention in hours or as a duration, revision retention as a count', () => {
    expect(config([...base, '--auto-compaction-retention', '1']).autoCompactionRetention).toBe(3_600_000);
    expect(config([...base, '--auto-compaction-retention', '30m']).autoCompactionRetention).toBe(1_800_000);
    expect(config([...base, '--auto-compaction-mode', 'revision', '--auto-compaction-retention', '1000']).autoCompactionRetention).toBe(1000);
    // As etcd: a sign is taken, and in revision mode a duration's nanoseconds count revisions.
    expect(config([...base, '--auto-compaction-retention', '+2']).autoCompactionRetention).toBe(7_200_000);
    expect(config([...base, '--auto-compaction-mode', 'revision', '--auto-compaction-retention', '1us']).autoCompactionRetention).toBe(1000);
    // Empty is 0 (no auto compaction), as etcd reads it.
    expect(config([...base, '--auto-compaction-retention=']).autoCompactionRetention).toBe(0);
    // Go takes a negative duration; etcd would compact on a negative period: refused, naming the flag.
    expect(() => config([...base, '--auto-compaction-retention', '-1h'])).toThrow('invalid value "-1h" for flag -auto-compaction-retention: must not be negative');
  });

  test.each([
    [['--no-such-flag'], 'no-such-flag', /flag provided but not defined: -no-such-flag/],
    [['--heartbeat-interval', 'abc'], 'heartbeat-interval', /invalid value "abc" for flag -heartbeat-interval/],
    [['--initial-cluster-state', 'old'], 'initial-cluster-state', /must be one of new, existing/],
    [['--election-timeout', '200'], 'election-timeout', /at least as 5 times/],
    // etcd takes none (a cluster of one runs without peer listeners); raftkit's peer transport needs one (this was a TypeError).
    [['--listen-peer-urls='], 'listen-peer-urls', /^--listen-peer-urls must name a URL to listen on for peers$/],
    // etcd's words for a zero heartbeat or election timeout.
    [['--heartbeat-interval', '0'], 'heartbeat-interval', /^--heartbeat-interval must be >0 \(set to 0ms\)$/],
    [['--election-timeout', '0'], 'election-timeout', /^--election-timeout must be >0 \(set to 0ms\)$/],
    // etcd takes 0 for these two, then refuses every write or txn: refused, saying so.
    [['--max-request-bytes', '0'], 'max-request-bytes', /must be an integer >= 1 \(etcd takes 0, then refuses every request as too large\)$/],
    [['--max-txn-ops', '0'], 'max-txn-ops', /must be an integer >= 1 \(etcd takes 0, then refuses every txn as having too many operations\)$/],
    [['--listen-client-urls', 'ftp://x:1'], 'listen-client-urls', /URL scheme must be http, https, unix, or unixs: ftp:\/\/x:1$/],
    [['--client-cert-auth'], 'trusted-ca-file', /needs --trusted-ca-file/],
    [['--listen-client-urls', 'https://127.0.0.1:2379', '--advertise-client-urls', 'https://127.0.0.1:2379'], 'cert-file', /https --listen-client-urls need --cert-file/],
    // As etcd: client URLs of one's own choosing need the URLs to advertise (from the command line or ETCD_*; a config file keeps the default).
    [['--listen-client-urls', 'http://127.0.0.1:2379'], 'advertise-client-urls', /^--advertise-client-urls is required when --listen-client-urls is set explicitly$/],
    [['--listen-metrics-urls', 'https://127.0.0.1:2381'], 'cert-file', /https --listen-metrics-urls need --cert-file/],
    [['--listen-peer-urls', 'http://127.0.0.1:2380,https://127.0.0.1:2480'], 'listen-peer-urls', /must all be http or all https/],
    [['--listen-peer-urls', 'https://127.0.0.1:2380'], 'peer-cert-file', /https --listen-peer-urls need --peer-cert-file/],
    [['--experimental-max-learners', '0'], 'experimental-max-learners', /must be an integer >= 1/],
    [['--log-level', 'loud'], 'log-level', /must be one of/],
    [['--logger', 'glog'], 'logger', /must be one of zap, capnslog/],
    [['--proxy', 'on'], 'proxy', /--proxy=on is not supported: etcd's v2 proxy has no counterpart/],
    [['--discovery', 'https://discovery.etcd.io/x'], 'discovery', /not supported: raftkit bootstraps from --initial-cluster only/],
    [['--discovery-srv', 'example.com'], 'discovery-srv', /not supported/],
    [['--auth-token', 'jwt,pub-key=a.pub'], 'auth-token', /--auth-token=jwt,pub-key=a.pub is not supported: raftkit does not serve Auth/],
    [['--log-package-levels', 'etcdserver=DEBUG'], 'log-package-levels', /not supported: capnslog/],
    [['--experimental-enable-v2v3', '/v2'], 'experimental-enable-v2v3', /not supported/],
    [['--metrics', 'all'], 'metrics', /must be one of basic, extensive/],
    [['--discovery-fallback', 'retry'], 'discovery-fallback', /must be one of exit, proxy/],
    [['--experimental-backend-bbolt-freelist-type', 'list'], 'experimental-backend-bbolt-freelist-type', /must be one of array, map/],
    [['--proxy-dial-timeout', '-1'], 'proxy-dial-timeout', /invalid value "-1" for flag -proxy-dial-timeout: parse error/],
    [['--bcrypt-cost', 'strong'], 'bcrypt-cost', /invalid value "strong"/],
    [['--experimental-compaction-batch-limit', '1e3'], 'experimental-compaction-batch-limit', /invalid value "1e3" for flag -experimental-compaction-batch-limit: parse error/],
    [['--debug=loud'], 'debug', /invalid boolean value "loud"/],
    [['--cipher-suites', 'TLS_ECDHE_RSA_WITH_RC4_128_SHA'], 'cipher-suites', /unexpected TLS cipher suite "TLS_ECDHE_RSA_WITH_RC4_128_SHA"/],
    [['--tls-min-version', 'TLS1.3', '--cipher-suites', 'TLS_RSA_WITH_AES_128_GCM_SHA256'], 'cipher-suites', /cannot be configured when only TLS1.3 is enabled/],
    [['--tls-min-version', 'TLS1.3', '--tls-max-version', 'TLS1.2'], 'tls-max-version', /older than --tls-min-version/],
    [['--tls-min-version', 'TLS1.0'], 'tls-min-version', /must be one of TLS1.2, TLS1.3/],
    [['--peer-cert-allowed-cn', 'a', '--peer-cert-allowed-hostname', 'b'], 'peer-cert-allowed-hostname', /mutually exclusive/],
    [['--enable-v2'], 'enable-v2', /--enable-v2=true is not supported: raftkit serves etcd's v3 API only/],
    [['--auto-tls=true'], 'auto-tls', /not supported: raftkit makes no self-signed certificates: give --cert-file/],
    [['--peer-auto-tls=1'], 'peer-auto-tls', /not supported/],
    [['--enable-pprof'], 'enable-pprof', /not supported/],
    [['--log-outputs', 'stderr,'], 'log-outputs', /an empty target/],
    [['--pre-vote=maybe'], 'pre-vote', /invalid boolean value "maybe"/],
    [['--max-txn-ops'], 'max-txn-ops', /flag needs an argument/],
    [['--experimental-watch-progress-notify-interval', '5 parsecs'], 'experimental-watch-progress-notify-interval', /parse error/],
    [['--backend-batch-interval', '100'], 'backend-batch-interval', /invalid value "100" for flag -backend-batch-interval: parse error/],
    [['--backend-batch-interval', '-1s'], 'backend-batch-interval', /invalid value "-1s" for flag -backend-batch-interval: must not be negative/],
    [['--backend-batch-limit', 'many'], 'backend-batch-limit', /invalid value "many" for flag -backend-batch-limit/],
    [['--experimental-corrupt-check-time', '10'], 'experimental-corrupt-check-time', /parse error/],
    [['--experimental-initial-corrupt-check=yes'], 'experimental-initial-corrupt-check', /invalid boolean value "yes"/],
    [['--max-wals', '-5'], 'max-wals', /invalid value "-5" for flag -max-wals: parse error/],
  ])('bad flag %j: FlagError naming %s', (extra, flag, message) => {
    let err: unknown;
    try {
      parseFlags([...base, ...extra]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FlagError);
    expect((err as FlagError).flag).toBe(flag);
    expect((err as FlagError).code).toBe('ERR_BAD_FLAG');
    expect((err as Error).message).toMatch(message);
  });

  test('this member must be in --initial-cluster with its advertised peer URLs', () => {
    expect(() => parseFlags(['--name', 'm9', '--initial-cluster', 'm1=http://127.0.0.1:2380'])).toThrow(/couldn't find local name "m9"/);
  });

  test('--help lists every flag with its ETCD_* variable; --version', () => {
    expect(parseFlags(['--help'])).toEqual({ kind: 'help' });
    expect(parseFlags([...base, '--version'])).toEqual({ kind: 'version' });
    const text = helpText();
    for (const f of FLAGS) expect(text).toContain(`--${f.name}`);
    expect(text).toContain('ETCD_INITIAL_CLUSTER_TOKEN');
    expect(text).toContain("etcd 3.6's name for --experimental-watch-progress-notify-interval, which wins when both are given");
  });

  test('Go durations', () => {
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('10')).toBeUndefined();
  });
});

describe('etcd 3.5\'s --unsafe-no-fsync, --listen-client-http-urls and --socket-reuse-* flags', () => {
  test('defaults, values and ETCD_* variables', () => {
    expect(config(base)).toMatchObject({ unsafeNoFsync: false, listenClientHttpUrls: [], socketReusePort: false, socketReuseAddress: false });
    expect(config([...base, '--unsafe-no-fsync']).unsafeNoFsync).toBe(true);
    expect(config(base, { ETCD_UNSAFE_NO_FSYNC: 'true' }).unsafeNoFsync).toBe(true);
    expect(config([...base, '--listen-client-http-urls', 'http://127.0.0.1:2381,http://10.0.0.1:2381']).listenClientHttpUrls).toEqual(['http://127.0.0.1:2381', 'http://10.0.0.1:2381']);
    expect(config(base, { ETCD_LISTEN_CLIENT_HTTP_URLS: 'http://127.0.0.1:2381' }).listenClientHttpUrls).toEqual(['http://127.0.0.1:2381']);
    // libuv sets SO_REUSEADDR on every TCP listener on Unix: either value is taken.
    expect(config([...base, '--socket-reuse-address']).socketReuseAddress).toBe(true);
    expect(config([...base, '--socket-reuse-address=false']).socketReuseAddress).toBe(false);
    for (const flag of ['unsafe-no-fsync', 'listen-client-http-urls', 'socket-reuse-port', 'socket-reuse-address']) expect(helpText()).toContain(`--${flag}`);
  });

  test.each([
    { argv: ['--listen-client-http-urls', 'unix://etcd.sock:1'], flag: 'listen-client-http-urls', want: 'URL scheme unix (a Unix socket) is not supported: raftkit listens on TCP: unix://etcd.sock:1' },
    { argv: ['--listen-client-http-urls', 'http://127.0.0.1'], flag: 'listen-client-http-urls', want: 'URL address does not have the form "host:port": http://127.0.0.1' },
    { argv: ['--listen-client-http-urls', 'https://127.0.0.1:2381'], flag: 'cert-file', want: 'https --listen-client-http-urls need --cert-file and --key-file' },
  ])('$argv is refused naming --$flag: $want', ({ argv, flag, want }) => {
    expect(() => config([...base, ...argv])).toThrow(expect.objectContaining({ flag, message: expect.stringContaining(want) as unknown }));
  });

  test.each([
    { version: '20.20.2', want: false },
    { version: '22.11.0', want: false },
    { version: '22.12.0', want: true },
    { version: '23.0.0', want: false },
    { version: '23.1.0', want: true },
    { version: '24.0.0', want: true },
  ])('Node $version has listen\'s reusePort: $want', ({ version, want }) => {
    expect(nodeHasReusePort(version)).toBe(want);
  });

  test('--socket-reuse-port is refused on a Node without reusePort, naming the flag and the Node needed', () => {
    const parse = (): MemberConfig => config([...base, '--socket-reuse-port']);
    if (nodeHasReusePort(process.versions.node)) {
      expect(parse().socketReusePort).toBe(true);
      return;
    }
    expect(parse).toThrow(FlagError);
    expect(parse).toThrow(`--socket-reuse-port needs Node 22.12 (23.1 in 23.x) or newer (Node's listen option reusePort), this is Node ${process.versions.node}`);
    expect(config([...base, '--socket-reuse-port=false']).socketReusePort).toBe(false);
  });
});
