/**
 * The `raftkit` command's configuration, as `parseFlags` makes it from etcd's flags.
 * @module
 */
/** The parsed configuration of a member process. */
export interface MemberConfig {
  /** `--name`. */
  name: string;
  /** `--data-dir`. */
  dataDir: string;
  /** `--wal-dir`: where the Raft log lives ('' for `member/wal` in the data dir). */
  walDir: string;
  /** `--listen-peer-urls`. */
  listenPeerUrls: string[];
  /** `--listen-client-urls`. */
  listenClientUrls: string[];
  /** `--listen-client-http-urls`: the URLs serving the client HTTP (the JSON gateway, etcd's HTTP endpoints); when any is given, `--listen-client-urls` serve gRPC only. */
  listenClientHttpUrls: string[];
  /** `--listen-metrics-urls`. */
  listenMetricsUrls: string[];
  /** `--initial-advertise-peer-urls`. */
  initialAdvertisePeerUrls: string[];
  /** `--advertise-client-urls`. */
  advertiseClientUrls: string[];
  /** `--initial-cluster`, parsed: name → peer URLs. */
  initialCluster: Map<string, string[]>;
  /** `--initial-cluster-state`. */
  initialClusterState: 'new' | 'existing';
  /** `--initial-cluster-token`. */
  initialClusterToken: string;
  /** `--cert-file`, `--key-file`, `--trusted-ca-file`, `--client-cert-auth`, `--client-crl-file`. */
  clientTls: MemberTlsFiles;
  /** `--peer-cert-file`, `--peer-key-file`, `--peer-trusted-ca-file`, `--peer-client-cert-auth`, `--peer-crl-file`. */
  peerTls: MemberTlsFiles;
  /** `--cipher-suites` (as OpenSSL names), `--tls-min-version`, `--tls-max-version`: for client and peer TLS alike. */
  tlsPolicy: { ciphers?: string; minVersion: 'TLSv1.2' | 'TLSv1.3'; maxVersion?: 'TLSv1.2' | 'TLSv1.3' };
  /** `--heartbeat-interval`, ms. */
  heartbeatMs: number;
  /** `--election-timeout`, ms. */
  electionMs: number;
  /** `--snapshot-count` (0: etcd's default, 100,000, which the member logs as etcd does). */
  snapshotCount: number;
  /** `--max-snapshots` (0: unlimited): raftkit keeps only the snapshot in use, so every value is met. */
  maxSnapshots: number;
  /** `--max-wals` (0: unlimited): raftkit removes a WAL segment once a snapshot covers it, so every value is met. */
  maxWals: number;
  /** `--quota-backend-bytes` (0 = 2 GiB; negative: no quota). */
  quotaBackendBytes: number;
  /** `--backend-batch-interval`, ms (etcd's 100 ms when given as 0). */
  backendBatchIntervalMs: number;
  /** `--backend-batch-limit`: operations per backend commit (etcd's 10000 when given as 0). */
  backendBatchLimit: number;
  /** `--max-request-bytes`. */
  maxRequestBytes: number;
  /** `--max-txn-ops`. */
  maxTxnOps: number;
  /** `--experimental-max-learners`. */
  maxLearners: number;
  /** `--auto-compaction-mode`. */
  autoCompactionMode: 'periodic' | 'revision';
  /** `--auto-compaction-retention`: milliseconds (periodic) or revisions (revision); 0 = off. */
  autoCompactionRetention: number;
  /** `--experimental-initial-corrupt-check`. */
  initialCorruptCheck: boolean;
  /** How often the leader checks every member's KV hash, ms (0 = never): `--experimental-corrupt-check-time`, or `--compact-hash-check-time` with the compact hash check on. */
  corruptCheckMs: number;
  /** `--experimental-watch-progress-notify-interval`, ms. */
  progressNotifyMs: number;
  /** `--experimental-warning-apply-duration` in ms: an apply or read longer than this counts as slow. */
  warningApplyMs: number;
  /** `--cors`: the origins answered with CORS headers (none or `*`: any). */
  cors: string[];
  /** `--host-whitelist`: the host names plain-text HTTP requests may name (none or `*`: any). */
  hostWhitelist: string[];
  /** `--enable-grpc-gateway`: serve the JSON gateway on the client URLs. */
  jsonGateway: boolean;
  /** `--max-concurrent-streams` (etcd's default, 2^32 - 1, is no limit). */
  maxConcurrentStreams: number;
  /** `--grpc-keepalive-min-time` in ms: the shortest interval between a client's pings. */
  keepaliveMinTimeMs: number;
  /** `--grpc-keepalive-interval` in ms (0: no pings). */
  keepaliveIntervalMs: number;
  /** `--grpc-keepalive-timeout` in ms. */
  keepaliveTimeoutMs: number;
  /** `--warning-unary-request-duration` in ms: a unary call longer than this is logged as "request stats". */
  warningUnaryRequestMs: number;
  /** `--log-level` (`debug` with `--debug`). */
  logLevel: string;
  /** `--log-format`: JSON lines, or zap's console lines (tab-separated, fields as JSON). */
  logFormat: 'json' | 'console';
  /** `--compaction-sleep-interval` in ms: the pause between two compaction batches. */
  compactionSleepMs: number;
  /** `--snapshot-catchup-entries`: entries kept below a Raft snapshot for followers a little behind. */
  snapshotCatchupEntries: number;
  /** `--bootstrap-defrag-threshold-megabytes`: defragment at start when that frees this many MB (0: never). */
  bootstrapDefragThresholdMb: number;
  /** `--metrics extensive`: export the gRPC handling-time histogram (`grpc_server_handling_seconds`). */
  handlingTimeHistogram: boolean;
  /** `--experimental-compaction-batch-limit`: revisions deleted per compaction batch. */
  compactionBatchLimit: number;
  /** `--log-outputs`: `stderr`, `stdout` or file paths (`default` is `stderr`), each once. */
  logOutputs: string[];
  /** `--pre-vote`. */
  preVote: boolean;
  /** `--force-new-cluster`. */
  forceNewCluster: boolean;
  /** `--strict-reconfig-check`. */
  strictReconfigCheck: boolean;
  /** `--unsafe-no-fsync`: nothing the member writes is fsynced (its Raft log, its KV's database). */
  unsafeNoFsync: boolean;
  /** `--initial-election-tick-advance`: a member of a larger cluster fast-forwards its first election too (with PreVote on). */
  initialElectionTickAdvance: boolean;
  /** `--socket-reuse-port`: SO_REUSEPORT on every client, peer and metrics listener (refused on a Node without it, see {@link nodeHasReusePort}). */
  socketReusePort: boolean;
  /** `--socket-reuse-address`: kept for the record; libuv sets SO_REUSEADDR on every TCP listener on Unix whatever it says. */
  socketReuseAddress: boolean;
  /** The flags given, on the command line or as `ETCD_*` variables (the others have their defaults). */
  explicitFlags: ReadonlySet<string>;
  /** The keys of `--config-file` that raftkit has no setting for (logged at start; etcd ignores unknown keys too). */
  configIgnored: string[];
  /** etcd 0.4's flags given on the command line, which etcd ignores with a warning, as raftkit does. */
  ignoredFlags: string[];
  /** `ETCD_*` environment variables that set no flag (`NAME=value`), of which etcd warns, as raftkit does. */
  unrecognizedEnv: string[];
  /** The `ETCD_*` environment variables that set a flag, by name, with their values (etcd logs each). */
  usedEnv: [name: string, value: string][];
}

/** The files and settings of one side's TLS (client or peer). */
export interface MemberTlsFiles {
  /** The certificate file ('' without TLS). */
  certFile: string;
  /** The key file. */
  keyFile: string;
  /** The CA file that signs the other side's certificates. */
  trustedCaFile: string;
  /** Whether the other side must present a certificate. */
  clientCertAuth: boolean;
  /** The certificate revocation list file ('' for none). */
  crlFile: string;
  /** The CNs of which the other side's certificate must have one (none: any; peers only). */
  allowedCns: string[];
  /** The host names of which the other side's certificate must be valid for one (none: any; clients: only with `clientCertAuth`, as etcd). */
  allowedHostnames: string[];
  /** The certificate a member presents when it dials (`--peer-client-cert-file`; `--client-cert-file` is taken and unused: raftkit dials no client URL); '' for `certFile`. */
  clientCertFile: string;
  /** Its key (`--peer-client-key-file`). */
  clientKeyFile: string;
  /** Whether a dialling peer's certificate SANs are left unchecked against its address (`--experimental-peer-skip-client-san-verification`; peers only). */
  skipClientSanVerify: boolean;
}
