/**
 * The `raftkit` command's flags: etcd's names, kinds, defaults and help lines, their `ETCD_*`
 * variables, and the `--help` text made from them.
 * @module
 */

/** The kind of a flag's value. */
export type Kind = 'string' | 'bool' | 'int' | 'urls' | 'duration';

/** One flag of the `raftkit` command: etcd's name, kind, default and help line. */
export interface FlagSpec {
  name: string;
  kind: Kind;
  def: string;
  help: string;
  /** The values allowed (for enumerations). */
  oneOf?: readonly string[];
  /**
   * etcd 3.6's name for the experimental flag named here (`watch-progress-notify-interval` for
   * `experimental-watch-progress-notify-interval`): either sets the same thing, and the experimental
   * one wins when both are given, as in etcd 3.6.
   */
  renamedFrom?: string;
  /**
   * For an etcd flag whose default is the only setting raftkit has (a feature it does not serve):
   * why any other value is refused. The default is accepted, so etcd command lines that spell it
   * out run unchanged.
   */
  onlyDefault?: string;
  /** An `int` flag that takes negative values (Go's `int64` flags, as `--quota-backend-bytes`); others are unsigned. */
  signed?: true;
  /**
   * An `int` flag of etcd's own `uint32` type (`--max-concurrent-streams`): a value is read in 32
   * bits, and a refusal carries strconv's own error, as etcd's type returns it.
   */
  uint32?: true;
}

/**
 * etcd 0.4's flags, which etcd 3.4 still takes (as booleans: a value only after `=`) and ignores,
 * warning that each "is no longer supported". Old unit files that still carry them start a member.
 */
export const IGNORED_FLAGS: ReadonlySet<string> = new Set([
  'cluster-active-size', 'cluster-remove-delay', 'cluster-sync-interval', 'config', 'force', 'max-result-buffer', 'max-retry-attempts',
  'peer-heartbeat-interval', 'peer-election-timeout', 'retry-interval', 'snapshot', 'v', 'vv',
]);

/** The flags, with etcd's names and defaults: those raftkit implements, and a few it takes only at their default (`onlyDefault`). */
export const FLAGS: readonly FlagSpec[] = [
  { name: 'name', kind: 'string', def: 'default', help: 'Human-readable name for this member.' },
  { name: 'config-file', kind: 'string', def: '', help: 'Path to the server configuration file (etcd\'s YAML). Other flags and ETCD_* variables are ignored when it is given.' },
  { name: 'data-dir', kind: 'string', def: '${name}.etcd', help: 'Path to the data directory.' },
  { name: 'wal-dir', kind: 'string', def: '', help: 'Path to the dedicated wal directory.' },
  { name: 'listen-peer-urls', kind: 'urls', def: 'http://localhost:2380', help: 'List of URLs to listen on for peer traffic.' },
  { name: 'listen-client-urls', kind: 'urls', def: 'http://localhost:2379', help: 'List of URLs to listen on for client traffic.' },
  { name: 'listen-client-http-urls', kind: 'urls', def: '', help: 'List of URLs to listen on for http only client traffic. Enabling this flag removes http services from --listen-client-urls.' },
  { name: 'listen-metrics-urls', kind: 'urls', def: '', help: 'List of URLs to listen on for the /metrics, /health and /version endpoints.' },
  { name: 'initial-advertise-peer-urls', kind: 'urls', def: 'http://localhost:2380', help: 'List of this member\'s peer URLs to advertise to the rest of the cluster.' },
  { name: 'advertise-client-urls', kind: 'urls', def: 'http://localhost:2379', help: 'List of this member\'s client URLs to advertise to the public.' },
  { name: 'initial-cluster', kind: 'string', def: 'default=http://localhost:2380', help: 'Initial cluster configuration for bootstrapping (name=peerURL,...).' },
  { name: 'initial-cluster-state', kind: 'string', def: 'new', oneOf: ['new', 'existing'], help: 'Initial cluster state (\'new\' or \'existing\').' },
  { name: 'initial-cluster-token', kind: 'string', def: 'etcd-cluster', help: 'Initial cluster token for the etcd cluster during bootstrap.' },
  { name: 'cert-file', kind: 'string', def: '', help: 'Path to the client server TLS cert file.' },
  { name: 'key-file', kind: 'string', def: '', help: 'Path to the client server TLS key file.' },
  { name: 'trusted-ca-file', kind: 'string', def: '', help: 'Path to the client server TLS trusted CA cert file.' },
  { name: 'client-cert-auth', kind: 'bool', def: 'false', help: 'Enable client cert authentication.' },
  { name: 'client-cert-allowed-hostname', kind: 'string', def: '', help: 'Allowed TLS hostname for client cert authentication (a comma-separated list of them, as etcd 3.6 takes).' },
  { name: 'peer-cert-file', kind: 'string', def: '', help: 'Path to the peer server TLS cert file.' },
  { name: 'peer-key-file', kind: 'string', def: '', help: 'Path to the peer server TLS key file.' },
  { name: 'peer-trusted-ca-file', kind: 'string', def: '', help: 'Path to the peer server TLS trusted CA file.' },
  { name: 'peer-client-cert-auth', kind: 'bool', def: 'false', help: 'Enable peer client cert authentication.' },
  { name: 'peer-cert-allowed-cn', kind: 'string', def: '', help: 'Comma-separated list of allowed CNs for inter-peer TLS authentication.' },
  { name: 'peer-cert-allowed-hostname', kind: 'string', def: '', help: 'Comma-separated list of allowed SAN hostnames for inter-peer TLS authentication.' },
  { name: 'experimental-peer-skip-client-san-verification', kind: 'bool', def: 'false', help: 'Skip verification of SAN field in client certificate for peer connections.' },
  { name: 'client-crl-file', kind: 'string', def: '', help: 'Path to the client certificate revocation list file.' },
  { name: 'peer-crl-file', kind: 'string', def: '', help: 'Path to the peer certificate revocation list file.' },
  { name: 'cipher-suites', kind: 'string', def: '', help: 'Comma-separated list of supported TLS cipher suites between client/server and peers (Go\'s names; empty: Node\'s defaults).' },
  { name: 'tls-min-version', kind: 'string', def: 'TLS1.2', oneOf: ['TLS1.2', 'TLS1.3'], help: 'Minimum TLS version supported by etcd. Possible values: TLS1.2, TLS1.3.' },
  { name: 'tls-max-version', kind: 'string', def: '', oneOf: ['', 'TLS1.2', 'TLS1.3'], help: 'Maximum TLS version supported by etcd. Possible values: TLS1.2, TLS1.3 (empty: the newest).' },
  { name: 'socket-reuse-port', kind: 'bool', def: 'false', help: 'Enable to set socket option SO_REUSEPORT on listeners allowing rebinding of a port already in use (needs Node 22.12 or newer, 23.1 or newer in 23.x).' },
  { name: 'socket-reuse-address', kind: 'bool', def: 'false', help: 'Enable to set socket option SO_REUSEADDR on listeners allowing rebinding of a port already in use (Node\'s libuv sets SO_REUSEADDR on every TCP listener on Unix, whatever the value).' },
  { name: 'heartbeat-interval', kind: 'int', def: '100', help: 'Time (in milliseconds) of a heartbeat interval.' },
  { name: 'election-timeout', kind: 'int', def: '1000', help: 'Time (in milliseconds) for an election to timeout.' },
  { name: 'snapshot-count', kind: 'int', def: '100000', help: 'Number of committed transactions to trigger a snapshot to disk.' },
  { name: 'max-snapshots', kind: 'int', def: '5', help: 'Maximum number of snapshot files to retain (0 is unlimited). raftkit keeps only the snapshot in use, which meets every value.' },
  { name: 'max-wals', kind: 'int', def: '5', help: 'Maximum number of wal files to retain (0 is unlimited). raftkit removes a WAL segment once a snapshot covers it, which meets every value.' },
  { name: 'quota-backend-bytes', kind: 'int', signed: true, def: '0', help: 'Raise alarms when backend size exceeds the given quota (0 defaults to low space quota; a negative value disables the quota).' },
  { name: 'backend-batch-interval', kind: 'duration', def: '100ms', help: 'Maximum time before committing the backend transaction (a Go duration; 0 = the default).' },
  { name: 'backend-batch-limit', kind: 'int', signed: true, def: '10000', help: 'Maximum number of operations before committing the backend transaction (0 = the default; a negative value commits every write).' },
  { name: 'max-request-bytes', kind: 'int', def: '1572864', help: 'Maximum client request size in bytes the server will accept.' },
  { name: 'cors', kind: 'string', def: '', help: 'Comma-separated white list of origins for CORS, or cross-origin resource sharing, (empty or * means allow all).' },
  { name: 'host-whitelist', kind: 'string', def: '*', help: 'Comma-separated acceptable hostnames from HTTP client requests, if server is not secure (empty means allow all).' },
  { name: 'enable-grpc-gateway', kind: 'bool', def: 'true', help: 'Enable GRPC gateway.' },
  { name: 'max-concurrent-streams', kind: 'int', uint32: true, def: '4294967295', help: 'Maximum concurrent streams that each client can open at a time (0: no limit, as the default).' },
  { name: 'grpc-keepalive-min-time', kind: 'duration', def: '5s', help: 'Minimum interval duration that a client should wait before pinging server.' },
  { name: 'grpc-keepalive-interval', kind: 'duration', def: '2h', help: 'Frequency duration of server-to-client ping to check if a connection is alive (0 to disable).' },
  { name: 'grpc-keepalive-timeout', kind: 'duration', def: '20s', help: 'Additional duration of wait before closing a non-responsive connection (0 to disable).' },
  { name: 'max-txn-ops', kind: 'int', def: '128', help: 'Maximum number of operations permitted in a transaction.' },
  { name: 'experimental-max-learners', kind: 'int', def: '1', help: 'Sets the maximum number of learners that can be available in the cluster membership.' },
  { name: 'auto-compaction-mode', kind: 'string', def: 'periodic', oneOf: ['periodic', 'revision'], help: 'Interpret \'auto-compaction-retention\' one of: periodic|revision.' },
  { name: 'auto-compaction-retention', kind: 'string', def: '0', help: 'Auto compaction retention (0 = off): a duration or hours for periodic, a revision count for revision.' },
  { name: 'experimental-initial-corrupt-check', kind: 'bool', def: 'false', help: 'Enable to check data corruption before serving any client traffic (every other member compares this member\'s hash with its own).' },
  { name: 'experimental-corrupt-check-time', kind: 'duration', def: '0s', help: 'Duration of time between cluster corruption check passes (0 = off).' },
  { name: 'experimental-warning-apply-duration', kind: 'duration', def: '100ms', help: 'Time duration after which a warning is generated if request takes more time (counted in etcd_server_slow_apply_total).' },
  { name: 'experimental-watch-progress-notify-interval', kind: 'duration', def: '10m', help: 'Duration of periodic watch progress notifications.' },
  { name: 'logger', kind: 'string', def: 'zap', oneOf: ['zap', 'capnslog'], help: 'Currently only supports \'zap\' for structured logging; \'capnslog\' (etcd 3.4\'s default, which etcd 3.5 removed) is taken and logs as zap.' },
  { name: 'log-outputs', kind: 'string', def: 'default', help: 'Comma-separated log output targets: \'default\' (stderr), \'stderr\', \'stdout\', or file paths (appended to).' },
  { name: 'unsafe-no-fsync', kind: 'bool', def: 'false', help: 'Disables fsync, unsafe, will cause data loss.' },
  { name: 'force-new-cluster', kind: 'bool', def: 'false', help: 'Force to create a new one member cluster (after a permanent loss of quorum: this member alone, with its data).' },
  { name: 'enable-v2', kind: 'bool', def: 'false', help: 'Accept etcd V2 client requests.', onlyDefault: 'raftkit serves etcd\'s v3 API only (etcd 3.6 removed v2)' },
  { name: 'auto-tls', kind: 'bool', def: 'false', help: 'Client TLS using generated certificates.', onlyDefault: 'raftkit makes no self-signed certificates: give --cert-file and --key-file' },
  { name: 'peer-auto-tls', kind: 'bool', def: 'false', help: 'Peer TLS using generated certificates.', onlyDefault: 'raftkit makes no self-signed certificates: give --peer-cert-file, --peer-key-file and --peer-trusted-ca-file' },
  { name: 'enable-pprof', kind: 'bool', def: 'false', help: 'Enable runtime profiling data via HTTP server.', onlyDefault: 'Go\'s profiler has no counterpart here: profile with node --cpu-prof or --inspect' },
  { name: 'strict-reconfig-check', kind: 'bool', def: 'true', help: 'Reject reconfiguration requests that would cause quorum loss.' },
  { name: 'pre-vote', kind: 'bool', def: 'true', help: 'Enable the Raft Pre-Vote algorithm to prevent disruption when a node that has been partitioned away rejoins the cluster.' },
  { name: 'log-level', kind: 'string', def: 'info', oneOf: ['debug', 'info', 'warn', 'error', 'panic', 'fatal'], help: 'Configures log level. Only supports debug, info, warn, error, panic, or fatal.' },
  { name: 'debug', kind: 'bool', def: 'false', help: 'Enable debug-level logging (deprecated: the same as --log-level=debug).' },
  { name: 'log-package-levels', kind: 'string', def: '', help: 'Specify a particular log level for each etcd package.', onlyDefault: 'capnslog\'s per-package levels have no counterpart (etcd 3.5 removed them): use --log-level' },
  { name: 'metrics', kind: 'string', def: 'basic', oneOf: ['basic', 'extensive'], help: 'Set level of detail for exported metrics, specify \'extensive\' to include histogram metrics (grpc_server_handling_seconds).' },
  { name: 'initial-election-tick-advance', kind: 'bool', def: 'true', help: 'Whether to fast-forward initial election ticks on boot for faster election. A single-member cluster is fast-forwarded either way, as etcd does; a member of a larger cluster is fast-forwarded with --pre-vote on (raftkit\'s transports dial peers when they have a message, so there is no connection report to wait for, as etcd waits; PreVote keeps an early campaign from unseating a leader).' },
  { name: 'experimental-compaction-batch-limit', kind: 'int', signed: true, def: '1000', help: 'Sets the maximum revisions deleted in each compaction batch (0 = the default; a negative value deletes them all in one batch).' },
  { name: 'experimental-enable-lease-checkpoint', kind: 'bool', def: 'false', help: 'Enables the leader to persist leases\' remaining TTL. Either value: raftkit\'s members track every lease\'s expiry, so a leader change never renews a lease (what etcd 3.4\'s checkpoints prevent).' },
  { name: 'experimental-backend-bbolt-freelist-type', kind: 'string', def: 'array', oneOf: ['array', 'map'], help: 'The type of freelist that boltdb backend uses. Either value: raftkit\'s backend is LevelDB, which has no freelist.' },
  { name: 'auth-token', kind: 'string', def: 'simple', help: 'Specify a v3 authentication token type and its options (\'simple\' or \'jwt\').', onlyDefault: 'raftkit does not serve Auth (its RPCs answer Unimplemented)' },
  { name: 'auth-token-ttl', kind: 'int', def: '300', help: 'Time (in seconds) of the auth-token-ttl. Checked and kept: Auth answers Unimplemented, so no token is issued.' },
  { name: 'bcrypt-cost', kind: 'int', def: '10', help: 'Specify the cost / strength of the bcrypt algorithm for hashing auth passwords (4 to 31; etcd uses 10 for other values). Checked and kept: Auth answers Unimplemented, so no password is hashed.' },
  { name: 'discovery', kind: 'string', def: '', help: 'Discovery URL used to bootstrap the cluster.', onlyDefault: 'raftkit bootstraps from --initial-cluster only' },
  { name: 'discovery-srv', kind: 'string', def: '', help: 'DNS srv domain used to bootstrap the cluster.', onlyDefault: 'raftkit bootstraps from --initial-cluster only' },
  { name: 'discovery-srv-name', kind: 'string', def: '', help: 'Suffix to the dns srv name queried when bootstrapping.', onlyDefault: 'raftkit bootstraps from --initial-cluster only' },
  { name: 'discovery-proxy', kind: 'string', def: '', help: 'HTTP proxy to use for traffic to discovery service.', onlyDefault: 'raftkit bootstraps from --initial-cluster only' },
  { name: 'discovery-fallback', kind: 'string', def: 'proxy', oneOf: ['exit', 'proxy'], help: 'Expected behavior (\'exit\' or \'proxy\') when discovery services fails. Checked and kept: raftkit has no discovery.' },
  { name: 'proxy', kind: 'string', def: 'off', help: 'Proxy mode setting (\'off\', \'readonly\' or \'on\').', onlyDefault: 'etcd\'s v2 proxy has no counterpart (etcd 3.6 removed it)' },
  { name: 'proxy-failure-wait', kind: 'int', def: '5000', help: 'Time (in milliseconds) an endpoint will be held in a failed state. Checked and kept: --proxy is off.' },
  { name: 'proxy-refresh-interval', kind: 'int', def: '30000', help: 'Time (in milliseconds) of the endpoints refresh interval. Checked and kept: --proxy is off.' },
  { name: 'proxy-dial-timeout', kind: 'int', def: '1000', help: 'Time (in milliseconds) for a dial to timeout. Checked and kept: --proxy is off.' },
  { name: 'proxy-write-timeout', kind: 'int', def: '5000', help: 'Time (in milliseconds) for a write to timeout. Checked and kept: --proxy is off.' },
  { name: 'proxy-read-timeout', kind: 'int', def: '0', help: 'Time (in milliseconds) for a read to timeout. Checked and kept: --proxy is off.' },
  { name: 'experimental-enable-v2v3', kind: 'string', def: '', help: 'Serve v2 requests through the v3 backend under a given prefix.', onlyDefault: 'raftkit serves etcd\'s v3 API only (etcd 3.6 removed v2)' },
  // etcd 3.5's and 3.6's flags (3.6 drops `experimental-` from the names of those it graduated).
  { name: 'feature-gates', kind: 'string', def: '', help: 'A set of key=value pairs of etcd 3.6\'s server feature gates: InitialCorruptCheck (as --experimental-initial-corrupt-check), CompactHashCheck (as --experimental-compact-hash-check-enabled), and LeaseCheckpoint, LeaseCheckpointPersist, SetMemberLocalAddr, StopGRPCServiceOnDefrag, TxnModeWriteWithSharedBuffer, FastLeaseKeepAlive, AllAlpha, AllBeta, which raftkit checks and needs not (see the flags of the same names).' },
  { name: 'watch-progress-notify-interval', kind: 'duration', def: '10m', renamedFrom: 'experimental-watch-progress-notify-interval', help: 'Duration of periodic watch progress notifications.' },
  { name: 'corrupt-check-time', kind: 'duration', def: '0s', renamedFrom: 'experimental-corrupt-check-time', help: 'Duration of time between cluster corruption check passes.' },
  { name: 'compaction-batch-limit', kind: 'int', signed: true, def: '1000', renamedFrom: 'experimental-compaction-batch-limit', help: 'Sets the maximum revisions deleted in each compaction batch.' },
  { name: 'experimental-compaction-sleep-interval', kind: 'duration', def: '10ms', help: 'Sets the sleep interval between each compaction batch.' },
  { name: 'compaction-sleep-interval', kind: 'duration', def: '10ms', renamedFrom: 'experimental-compaction-sleep-interval', help: 'Sets the sleep interval between each compaction batch.' },
  { name: 'warning-apply-duration', kind: 'duration', def: '100ms', renamedFrom: 'experimental-warning-apply-duration', help: 'Time duration after which a warning is generated if request takes more time.' },
  { name: 'max-learners', kind: 'int', def: '1', renamedFrom: 'experimental-max-learners', help: 'Sets the maximum number of learners that can be available in the cluster membership.' },
  { name: 'experimental-snapshot-catchup-entries', kind: 'int', def: '5000', help: 'Number of entries for a slow follower to catch up after compacting the raft storage entries.' },
  { name: 'snapshot-catchup-entries', kind: 'int', def: '5000', renamedFrom: 'experimental-snapshot-catchup-entries', help: 'Number of entries for a slow follower to catch up after compacting the raft storage entries.' },
  { name: 'experimental-bootstrap-defrag-threshold-megabytes', kind: 'int', def: '0', help: 'Defragment the database at start when that frees at least this many megabytes (0 = never).' },
  { name: 'bootstrap-defrag-threshold-megabytes', kind: 'int', def: '0', renamedFrom: 'experimental-bootstrap-defrag-threshold-megabytes', help: 'Defragment the database at start when that frees at least this many megabytes (0 = never).' },
  { name: 'backend-bbolt-freelist-type', kind: 'string', def: 'array', oneOf: ['array', 'map'], renamedFrom: 'experimental-backend-bbolt-freelist-type', help: 'The type of freelist that boltdb backend uses. Either value: raftkit\'s backend is LevelDB, which has no freelist.' },
  { name: 'log-format', kind: 'string', def: 'json', oneOf: ['json', 'console'], help: 'Configures log format. Only supports json, console.' },
  { name: 'enable-log-rotation', kind: 'bool', def: 'false', help: 'Enable log rotation of a single log-outputs file target.', onlyDefault: 'raftkit appends to its --log-outputs files: rotate them with logrotate\'s copytruncate' },
  { name: 'log-rotation-config-json', kind: 'string', def: '{"maxsize": 100, "maxage": 0, "maxbackups": 0, "localtime": false, "compress": false}', help: 'Configures log rotation if enabled with a JSON logger config.', onlyDefault: 'raftkit does not rotate its logs (see --enable-log-rotation)' },
  { name: 'experimental-memory-mlock', kind: 'bool', def: 'false', help: 'Enable to enforce etcd pages (in particular bbolt) to stay in RAM.', onlyDefault: 'Node cannot lock its memory in RAM' },
  { name: 'memory-mlock', kind: 'bool', def: 'false', renamedFrom: 'experimental-memory-mlock', help: 'Enable to enforce etcd pages (in particular bbolt) to stay in RAM.', onlyDefault: 'Node cannot lock its memory in RAM' },
  { name: 'experimental-enable-distributed-tracing', kind: 'bool', def: 'false', help: 'Enable distributed tracing using OpenTelemetry Tracing.', onlyDefault: 'raftkit exports no OpenTelemetry traces' },
  { name: 'enable-distributed-tracing', kind: 'bool', def: 'false', renamedFrom: 'experimental-enable-distributed-tracing', help: 'Enable distributed tracing using OpenTelemetry Tracing.', onlyDefault: 'raftkit exports no OpenTelemetry traces' },
  ...['', 'experimental-'].flatMap((p): FlagSpec[] => [
    { name: `${p}distributed-tracing-address`, kind: 'string', def: 'localhost:4317', help: 'Address for distributed tracing used for OpenTelemetry Tracing. Checked and kept: tracing is off.' },
    { name: `${p}distributed-tracing-service-name`, kind: 'string', def: 'etcd', help: 'Service name for OpenTelemetry Tracing. Checked and kept: tracing is off.' },
    { name: `${p}distributed-tracing-instance-id`, kind: 'string', def: '', help: 'Service instance ID for OpenTelemetry Tracing. Checked and kept: tracing is off.' },
    { name: `${p}distributed-tracing-sampling-rate`, kind: 'int', def: '0', help: 'Number of samples to collect per million spans for OpenTelemetry Tracing. Checked and kept: tracing is off.' },
  ]),
  { name: 'experimental-compact-hash-check-enabled', kind: 'bool', def: 'false', help: 'Enable leader to periodically check followers compaction hashes. raftkit runs its corruption check (every member\'s HashKV compared, a CORRUPT alarm for one that differs) every --compact-hash-check-time, unless --corrupt-check-time sets its own interval.' },
  { name: 'experimental-compact-hash-check-time', kind: 'duration', def: '1m', help: 'Duration of time between leader checks followers compaction hashes (see --experimental-compact-hash-check-enabled).' },
  { name: 'compact-hash-check-time', kind: 'duration', def: '1m', renamedFrom: 'experimental-compact-hash-check-time', help: 'Duration of time between leader checks followers compaction hashes (see --experimental-compact-hash-check-enabled).' },
  { name: 'experimental-downgrade-check-time', kind: 'duration', def: '5s', help: 'Duration of time between two downgrade status checks. Checked and kept: Downgrade answers Unimplemented.' },
  { name: 'downgrade-check-time', kind: 'duration', def: '5s', renamedFrom: 'experimental-downgrade-check-time', help: 'Duration of time between two downgrade status checks. Checked and kept: Downgrade answers Unimplemented.' },
  { name: 'experimental-warning-unary-request-duration', kind: 'duration', def: '300ms', help: 'Time duration after which a warning is generated if a unary request takes more time (logged as "request stats", with the method and the time spent).' },
  { name: 'warning-unary-request-duration', kind: 'duration', def: '300ms', renamedFrom: 'experimental-warning-unary-request-duration', help: 'Time duration after which a warning is generated if a unary request takes more time (logged as "request stats", with the method and the time spent).' },
  { name: 'experimental-enable-lease-checkpoint-persist', kind: 'bool', def: 'false', help: 'Enable persisting remainingTTL to prevent indefinite auto-renewal of long lived leases. Either value (see --experimental-enable-lease-checkpoint).' },
  { name: 'experimental-txn-mode-write-with-shared-buffer', kind: 'bool', def: 'true', help: 'Enable the write transaction to use a shared buffer in its readonly check operations. Either value: bbolt\'s buffers have no counterpart.' },
  { name: 'experimental-stop-grpc-service-on-defrag', kind: 'bool', def: 'false', help: 'Enable etcd gRPC service to stop serving client requests on defragmentation. Either value: a raftkit member keeps serving while LevelDB compacts in the background.' },
  { name: 'experimental-wait-cluster-ready-timeout', kind: 'duration', def: '5s', help: 'Maximum duration to wait for the cluster to be ready (etcd 3.5). Checked and kept: a raftkit member serves once started, and its requests wait for a leader.' },
  { name: 'self-signed-cert-validity', kind: 'int', def: '1', help: 'The validity period of the client and peer certificates, unit is year. Checked and kept: raftkit makes no self-signed certificates.' },
  { name: 'raft-read-timeout', kind: 'duration', def: '5s', help: 'Read timeout set on each rafthttp connection. Checked and kept: raftkit\'s peer transport detects a silent peer with its own timeouts.' },
  { name: 'raft-write-timeout', kind: 'duration', def: '5s', help: 'Write timeout set on each rafthttp connection. Checked and kept (see --raft-read-timeout).' },
  { name: 'v2-deprecation', kind: 'string', def: 'write-only', oneOf: ['not-yet', 'write-only', 'write-only-drop-data', 'gone'], help: 'v2store deprecation stage. Checked and kept: raftkit has no v2 store.' },
  { name: 'client-cert-file', kind: 'string', def: '', help: 'Path to an explicit client TLS cert file for the member\'s own client connections. Checked and kept: raftkit\'s gateway calls its server in-process, over no connection.' },
  { name: 'client-key-file', kind: 'string', def: '', help: 'Path to an explicit client TLS key file (see --client-cert-file).' },
  { name: 'peer-client-cert-file', kind: 'string', def: '', help: 'Path to an explicit peer client TLS cert file, presented when this member dials a peer (otherwise --peer-cert-file).' },
  { name: 'peer-client-key-file', kind: 'string', def: '', help: 'Path to an explicit peer client TLS key file (with --peer-client-cert-file).' },
  { name: 'peer-skip-client-san-verification', kind: 'bool', def: 'false', renamedFrom: 'experimental-peer-skip-client-san-verification', help: 'Skip verification of SAN field in client certificate for peer connections.' },
  { name: 'discovery-endpoints', kind: 'string', def: '', help: 'V3 discovery: List of gRPC endpoints of the discovery service.', onlyDefault: 'raftkit bootstraps from --initial-cluster only' },
  { name: 'discovery-token', kind: 'string', def: '', help: 'V3 discovery: discovery token for the etcd cluster to be bootstrapped.', onlyDefault: 'raftkit bootstraps from --initial-cluster only' },
  ...([['discovery-dial-timeout', '2s'], ['discovery-request-timeout', '5s'], ['discovery-keepalive-time', '2s'], ['discovery-keepalive-timeout', '6s']] as const).map(([name, def]): FlagSpec => (
    { name, kind: 'duration', def, help: 'V3 discovery: a client connection timing. Checked and kept: raftkit has no discovery.' })),
  { name: 'discovery-insecure-transport', kind: 'bool', def: 'true', help: 'V3 discovery: disable transport security for client connections. Checked and kept: raftkit has no discovery.' },
  { name: 'discovery-insecure-skip-tls-verify', kind: 'bool', def: 'false', help: 'V3 discovery: skip server certificate verification. Checked and kept: raftkit has no discovery.' },
  ...['discovery-cert', 'discovery-key', 'discovery-cacert', 'discovery-user', 'discovery-password'].map((name): FlagSpec => (
    { name, kind: 'string', def: '', help: 'V3 discovery: a client credential. Checked and kept: raftkit has no discovery.' })),
];

/** The spec of a flag this command defines. */
export function specOf(name: string): FlagSpec {
  return FLAGS.find((f) => f.name === name)!;
}

/** The `ETCD_*` environment variable of a flag (`--initial-cluster` → `ETCD_INITIAL_CLUSTER`). */
export function envName(flag: string): string {
  return `ETCD_${flag.toUpperCase().replace(/-/g, '_')}`;
}

/** The `--help` text: usage and every flag with its `ETCD_*` variable and default. */
export function helpText(): string {
  const lines = ['Usage: raftkit [flags]', '       raftkit restore <snapshot-file> --data-dir <dir> [--skip-hash-check]   (prepare a new member from an etcd or raftkit snapshot)', '', 'Runs one member of a raftkit cluster serving etcd\'s v3 gRPC API. Every flag can also be set', 'with its ETCD_* environment variable (not both: as etcd, a member refuses a variable a flag shadows).', '', 'Flags:'];
  for (const f of FLAGS) {
    const only = f.onlyDefault === undefined ? '' : `; only '${f.def}': ${f.onlyDefault}`;
    const renamed = f.renamedFrom === undefined ? '' : `; etcd 3.6's name for --${f.renamedFrom}, which wins when both are given`;
    lines.push(`  --${f.name}${f.kind === 'bool' ? '' : ` <${f.kind}>`}`, `      ${f.help} (env ${envName(f.name)}; default '${f.def}'${renamed}${only})`);
  }
  lines.push('  --help', '      Show this help.', '  --version', '      Print the version.');
  return lines.join('\n');
}
