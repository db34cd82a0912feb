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
   * For an etcd flag whose default is the only setting raftkit has (a feature it does not serve):
   * why any other value is refused. The default is accepted, so etcd command lines that spell it
   * out run unchanged.
   */
  onlyDefault?: string;
}

/** The flags, with etcd's names and defaults: those raftkit implements, and a few it takes only at their default (`onlyDefault`). */
export const FLAGS: readonly FlagSpec[] = [
  { name: 'name', kind: 'string', def: 'default', help: 'Human-readable name for this member.' },
  { name: 'config-file', kind: 'string', def: '', help: 'Path to the server configuration file (etcd\'s YAML). Other flags and ETCD_* variables are ignored when it is given.' },
  { name: 'data-dir', kind: 'string', def: '${name}.etcd', help: 'Path to the data directory.' },
  { name: 'wal-dir', kind: 'string', def: '', help: 'Path to the dedicated wal directory.' },
  { name: 'listen-peer-urls', kind: 'urls', def: 'http://localhost:2380', help: 'List of URLs to listen on for peer traffic.' },
  { name: 'listen-client-urls', kind: 'urls', def: 'http://localhost:2379', help: 'List of URLs to listen on for client traffic.' },
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
  { name: 'heartbeat-interval', kind: 'int', def: '100', help: 'Time (in milliseconds) of a heartbeat interval.' },
  { name: 'election-timeout', kind: 'int', def: '1000', help: 'Time (in milliseconds) for an election to timeout.' },
  { name: 'snapshot-count', kind: 'int', def: '100000', help: 'Number of committed transactions to trigger a snapshot to disk.' },
  { name: 'max-snapshots', kind: 'int', def: '5', help: 'Maximum number of snapshot files to retain (0 is unlimited). raftkit keeps only the snapshot in use, which meets every value.' },
  { name: 'max-wals', kind: 'int', def: '5', help: 'Maximum number of wal files to retain (0 is unlimited). raftkit removes a WAL segment once a snapshot covers it, which meets every value.' },
  { name: 'quota-backend-bytes', kind: 'int', def: '0', help: 'Raise alarms when backend size exceeds the given quota (0 defaults to low space quota).' },
  { name: 'backend-batch-interval', kind: 'duration', def: '100ms', help: 'Maximum time before committing the backend transaction (a Go duration; 0 = the default).' },
  { name: 'backend-batch-limit', kind: 'int', def: '10000', help: 'Maximum number of operations before committing the backend transaction (0 = the default).' },
  { name: 'max-request-bytes', kind: 'int', def: '1572864', help: 'Maximum client request size in bytes the server will accept.' },
  { name: 'cors', kind: 'string', def: '', help: 'Comma-separated white list of origins for CORS, or cross-origin resource sharing, (empty or * means allow all).' },
  { name: 'host-whitelist', kind: 'string', def: '*', help: 'Comma-separated acceptable hostnames from HTTP client requests, if server is not secure (empty means allow all).' },
  { name: 'enable-grpc-gateway', kind: 'bool', def: 'true', help: 'Enable GRPC gateway.' },
  { name: 'max-concurrent-streams', kind: 'int', def: '4294967295', help: 'Maximum concurrent streams that each client can open at a time.' },
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
  { name: 'logger', kind: 'string', def: 'zap', oneOf: ['zap'], help: 'Currently only supports \'zap\' for structured logging (etcd 3.5 removed capnslog).' },
  { name: 'log-outputs', kind: 'string', def: 'default', help: 'Comma-separated log output targets: \'default\' (stderr), \'stderr\', \'stdout\', or file paths (appended to).' },
  { name: 'force-new-cluster', kind: 'bool', def: 'false', help: 'Force to create a new one member cluster (after a permanent loss of quorum: this member alone, with its data).' },
  { name: 'enable-v2', kind: 'bool', def: 'false', help: 'Accept etcd V2 client requests.', onlyDefault: 'raftkit serves etcd\'s v3 API only (etcd 3.6 removed v2)' },
  { name: 'auto-tls', kind: 'bool', def: 'false', help: 'Client TLS using generated certificates.', onlyDefault: 'raftkit makes no self-signed certificates: give --cert-file and --key-file' },
  { name: 'peer-auto-tls', kind: 'bool', def: 'false', help: 'Peer TLS using generated certificates.', onlyDefault: 'raftkit makes no self-signed certificates: give --peer-cert-file, --peer-key-file and --peer-trusted-ca-file' },
  { name: 'enable-pprof', kind: 'bool', def: 'false', help: 'Enable runtime profiling data via HTTP server.', onlyDefault: 'Go\'s profiler has no counterpart here: profile with node --cpu-prof or --inspect' },
  { name: 'strict-reconfig-check', kind: 'bool', def: 'true', help: 'Reject reconfiguration requests that would cause quorum loss.' },
  { name: 'pre-vote', kind: 'bool', def: 'true', help: 'Enable the Raft Pre-Vote algorithm to prevent disruption when a node that has been partitioned away rejoins the cluster.' },
  { name: 'log-level', kind: 'string', def: 'info', oneOf: ['debug', 'info', 'warn', 'error', 'panic', 'fatal'], help: 'Configures log level. Only supports debug, info, warn, error, panic, or fatal.' },
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
  const lines = ['Usage: raftkit [flags]', '       raftkit restore <snapshot-file> --data-dir <dir> [--skip-hash-check]   (prepare a new member from an etcd or raftkit snapshot)', '', 'Runs one member of a raftkit cluster serving etcd\'s v3 gRPC API. Every flag can also be set', 'with its ETCD_* environment variable (the flag wins).', '', 'Flags:'];
  for (const f of FLAGS) {
    const only = f.onlyDefault === undefined ? '' : `; only '${f.def}': ${f.onlyDefault}`;
    lines.push(`  --${f.name}${f.kind === 'bool' ? '' : ` <${f.kind}>`}`, `      ${f.help} (env ${envName(f.name)}; default '${f.def}'${only})`);
  }
  lines.push('  --help', '      Show this help.', '  --version', '      Print the version.');
  return lines.join('\n');
}
