import { isIP } from 'node:net';
import { opensslCiphers } from './cipher-suites.js';
import { readConfigFile } from './config-file.js';
import { FlagError, invalidValue } from './flag-error.js';
import { GATE_OF_FLAG, checkGateConflicts, parseFeatureGates } from './feature-gates.js';

import { FLAGS, IGNORED_FLAGS, envName, specOf, type FlagSpec } from './flag-table.js';
import { goDurationError, parseGoBool, parseGoDuration as parseDuration, parseGoDurationNs } from './go-values.js';
import { intValue, kindError, urlList, urlListError } from './value-errors.js';
import { readFlagEnv } from './flag-env.js';
import type { MemberConfig, MemberTlsFiles } from './member-config.js';

export { FlagError } from './flag-error.js';
/** Parses a Go duration (`10m`, `1h30m`, `1.5s`) into milliseconds, as etcd's duration flags read it; undefined if Go refuses it. */
export { parseGoDuration as parseDuration } from './go-values.js';
export { FLAGS, envName, helpText } from './flag-table.js';

export type { MemberConfig, MemberTlsFiles } from './member-config.js';

/** What the command line asks for: run a member, or print help or the version. */
export type Parsed = { kind: 'run'; config: MemberConfig } | { kind: 'help' } | { kind: 'version' };

/** A URL flag's value as a list (see {@link urlListError}), refused in Go's flag package's words. */
function urls(flag: string, v: string): string[] {
  const why = urlListError(v);
  if (why !== undefined) throw invalidValue(flag, v, why);
  return urlList(v);
}

/**
 * `--auto-compaction-retention` read as etcd reads it: a whole number (a sign allowed) is hours in
 * `periodic` mode and revisions in `revision` mode; anything else is a Go duration (in `revision`
 * mode, as etcd, its nanoseconds count revisions); empty is 0 (none). Milliseconds or revisions.
 */
function compactionRetention(mode: 'periodic' | 'revision', raw: string): number {
  if (raw === '') return 0; // etcd's reading of an empty retention: none
  const whole = /^[+-]?\d+$/.test(raw) ? Number(raw) : undefined;
  if (whole !== undefined && whole >= 0) return mode === 'revision' ? whole : whole * 3_600_000;
  const ns = parseGoDurationNs(raw);
  if (ns === undefined) throw new FlagError('auto-compaction-retention', `error parsing CompactionRetention: ${goDurationError(raw)}`);
  // Go takes `-1h`; etcd would compact on a negative period.
  if (ns < 0n) throw invalidValue('auto-compaction-retention', raw, 'must not be negative');
  return mode === 'revision' ? Number(ns) : Number(ns) / 1e6;
}

/** etcd's longest election timeout, ms. */
const MAX_ELECTION_MS = 50_000;

/** Whether a listen URL names what etcd binds to: an IP address, or `localhost`. */
function bindsToIp(url: string): boolean {
  const host = new URL(url).hostname.replace(/^\[(.*)\]$/, '$1');
  return host === 'localhost' || isIP(host) !== 0;
}

/**
 * Reads every flag from `argv` (Go's flag syntax: `--f=v`, `--f v`, `-f`; bools without a value) and `env`;
 * etcd 0.4's flags, which etcd ignores, go to `ignored`, `ETCD_*` variables that name no flag to
 * `unrecognizedEnv`, and those used (name and value) to `usedEnv`.
 */
function collect(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, ignored: string[], unrecognizedEnv: string[], usedEnv: [string, string][]): Map<string, string> | 'help' | 'version' {
  const specs = new Map(FLAGS.map((f) => [f.name, f]));
  const values = new Map<string, string>();
  // As Go's flag package: a value is refused as it is read, so the first bad flag is the one named.
  const take = (spec: FlagSpec, v: string): void => {
    const err = kindError(spec, v, 'flag');
    if (err !== undefined) throw err;
    values.set(spec.name, v);
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('-')) throw new FlagError(arg, `'${arg}' is not a valid flag`);
    const body = arg.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq === -1 ? body : body.slice(0, eq);
    if (name === 'help' || name === 'h') return 'help';
    if (name === 'version') return 'version';
    if (IGNORED_FLAGS.has(name)) {
      ignored.push(name);
      continue;
    }
    const spec = specs.get(name);
    if (spec === undefined) throw new FlagError(name, `flag provided but not defined: -${name}`);
    if (eq !== -1) take(spec, body.slice(eq + 1));
    else if (spec.kind === 'bool') values.set(name, 'true');
    else {
      const next = argv[++i];
      if (next === undefined) throw new FlagError(name, `flag needs an argument: -${name}`);
      take(spec, next);
    }
  }
  // As etcd: with a config file, no other ETCD_* variable is read.
  const configFile = values.get('config-file') ?? env[envName('config-file')] ?? '';
  if (configFile !== '') values.set('config-file', configFile);
  else readFlagEnv(values, env, unrecognizedEnv, usedEnv);
  return values;
}

/**
 * Parses the command line and `ETCD_*` environment variables (flags win) into a
 * {@link MemberConfig}, checking every value.
 *
 * @throws {@link FlagError} naming the flag at fault.
 */
export function parseFlags(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = {}): Parsed {
  const ignoredFlags: string[] = [];
  const unrecognizedEnv: string[] = [];
  const usedEnv: [string, string][] = [];
  const collected = collect(argv, env, ignoredFlags, unrecognizedEnv, usedEnv);
  if (collected === 'help' || collected === 'version') return { kind: collected };
  let values = collected;
  let configIgnored: string[] = [];
  const configFile = values.get('config-file') ?? '';
  if (configFile !== '') {
    // As etcd: the file's settings alone; the other flags and the ETCD_* variables are ignored.
    const file = readConfigFile(configFile, new Map(FLAGS.map((f) => [f.name, f])));
    values = file.values;
    values.set('config-file', configFile);
    configIgnored = file.ignored;
  }
  // etcd 3.6's names set what their experimental flags set; given both, the experimental one wins.
  const viaNewName = new Set<string>();
  for (const spec of FLAGS) {
    const v = values.get(spec.name);
    if (spec.renamedFrom === undefined || v === undefined || values.has(spec.renamedFrom)) continue;
    values.set(spec.renamedFrom, v);
    viaNewName.add(spec.renamedFrom);
  }
  const get = (name: string): string => {
    const spec = specOf(name);
    const v = values.get(name) ?? spec.def;
    if (spec.oneOf !== undefined && !spec.oneOf.includes(v)) throw invalidValue(name, v, `must be one of ${spec.oneOf.join(', ')}`);
    return v;
  };
  /** A bool, int or duration flag's value, refused as Go's flag package refuses it (see {@link kindError}). */
  const typed = (name: string): string => {
    const v = get(name);
    const err = kindError(specOf(name), v, 'flag');
    if (err !== undefined) throw err;
    return v;
  };
  /** An integer flag (Go's base-0 syntax: `0x10`, `1_000`; a sign only for `signed` ones), at least `min`. */
  const int = (name: string, min?: number, why = ''): number => {
    const v = typed(name);
    const n = intValue(specOf(name), v) as bigint;
    if (min !== undefined && n < BigInt(min)) throw invalidValue(name, v, `must be an integer >= ${min}${why}`);
    return Number(n);
  };
  /** A Go duration in milliseconds; `orDefault` replaces 0 (etcd treats a zero value as unset). */
  const duration = (name: string, orDefault?: string): number => {
    const ms = parseDuration(typed(name))!;
    return ms === 0 && orDefault !== undefined ? parseDuration(orDefault)! : ms;
  };
  const bool = (name: string): boolean => parseGoBool(typed(name))!;
  const name = get('name');
  // etcd's checks, in its order (Config.Validate): listen URLs name an IP to bind to, then the election timeout.
  for (const flag of ['listen-peer-urls', 'listen-client-urls', 'listen-client-http-urls', 'listen-metrics-urls']) {
    for (const u of urls(flag, get(flag))) if (!bindsToIp(u)) throw new FlagError(flag, `expected IP in URL for binding (${u})`);
  }
  const heartbeatMs = int('heartbeat-interval');
  if (heartbeatMs <= 0) throw new FlagError('heartbeat-interval', `--heartbeat-interval must be >0 (set to ${heartbeatMs}ms)`);
  const electionMs = int('election-timeout');
  if (electionMs <= 0) throw new FlagError('election-timeout', `--election-timeout must be >0 (set to ${electionMs}ms)`);
  if (electionMs < 5 * heartbeatMs) throw new FlagError('election-timeout', `--election-timeout[${electionMs}ms] should be at least as 5 times as --heartbeat-interval[${heartbeatMs}ms]`);
  if (electionMs > MAX_ELECTION_MS) throw new FlagError('election-timeout', `--election-timeout[${electionMs}ms] is too long, and should be set less than ${MAX_ELECTION_MS}ms`);
  // As etcd: client URLs chosen on the command line (or by ETCD_*) need the URLs to advertise (etcd's default, localhost, would be wrong).
  // (A bad listen URL was named above, first, as etcd checks them first.)
  if (configFile === '' && values.has('listen-client-urls') && !values.has('advertise-client-urls')) {
    throw new FlagError('advertise-client-urls', '--advertise-client-urls is required when --listen-client-urls is set explicitly');
  }
  const advertisePeers = urls('initial-advertise-peer-urls', get('initial-advertise-peer-urls'));
  // As etcd: `--name abc` alone makes the default initial cluster abc=<its advertised peer URLs>.
  // (An empty name names its entries `default`, as etcd's.)
  const initialClusterText = name !== 'default' && get('initial-cluster') === specOf('initial-cluster').def
    ? advertisePeers.map((u) => `${name === '' ? 'default' : name}=${u}`).join(',')
    : get('initial-cluster');
  const initialCluster = new Map<string, string[]>();
  for (const part of initialClusterText === '' ? [] : initialClusterText.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw invalidValue('initial-cluster', initialClusterText, 'expected name=URL entries');
    const member = part.slice(0, eq);
    initialCluster.set(member, [...(initialCluster.get(member) ?? []), ...urls('initial-cluster', part.slice(eq + 1))]);
  }
  // Checked here when --initial-cluster is given; without it, when the member starts with no data
  // of its own (a restored data dir keeps the cluster it was restored for, as etcd's does).
  if (values.has('initial-cluster')) checkMembership(name, initialCluster, advertisePeers);
  const mode = get('auto-compaction-mode') as 'periodic' | 'revision';
  const retention = compactionRetention(mode, get('auto-compaction-retention'));
  const progress = duration('experimental-watch-progress-notify-interval');
  const tls = (prefix: string): MemberTlsFiles => ({
    certFile: get(`${prefix}cert-file`), keyFile: get(`${prefix}key-file`), trustedCaFile: get(`${prefix}trusted-ca-file`), clientCertAuth: bool(`${prefix}client-cert-auth`),
    crlFile: get(prefix === '' ? 'client-crl-file' : `${prefix}crl-file`),
    allowedCns: prefix === '' ? [] : commaList(get(`${prefix}cert-allowed-cn`)),
    allowedHostnames: commaList(get(`${prefix === '' ? 'client-' : prefix}cert-allowed-hostname`)),
    skipClientSanVerify: prefix === 'peer-' && bool('experimental-peer-skip-client-san-verification'),
    clientCertFile: get(`${prefix}client-cert-file`), clientKeyFile: get(`${prefix}client-key-file`),
  });
  // Every value given has its flag's form (those of features raftkit lacks too, as etcd checks them).
  for (const spec of FLAGS) {
    if (!values.has(spec.name)) continue;
    if (spec.kind === 'int') int(spec.name);
    else if (spec.kind === 'duration') duration(spec.name);
    else if (spec.kind === 'bool') bool(spec.name);
    else if (spec.kind === 'urls') urls(spec.name, get(spec.name));
    else get(spec.name);
  }
  for (const spec of FLAGS) {
    if (spec.onlyDefault === undefined || viaNewName.has(spec.name)) continue;
    const isDefault = spec.kind === 'bool' ? bool(spec.name) === (spec.def === 'true') : get(spec.name) === spec.def;
    if (!isDefault) throw new FlagError(spec.name, `--${spec.name}=${values.get(spec.name) ?? ''} is not supported: ${spec.onlyDefault}`);
  }
  const gateText = get('feature-gates');
  const gates = parseFeatureGates(gateText);
  /** A flag etcd 3.6 replaced by a gate: the flag when given, else its gate (see GATE_OF_FLAG). */
  const gated = (flag: string): boolean => (values.has(flag) ? bool(flag) : gates.get(GATE_OF_FLAG[flag]!) === true);
  checkGateConflicts(gateText, gates, new Map(Object.keys(GATE_OF_FLAG).filter((f) => values.has(f) && !viaNewName.has(f)).map((f) => [f, bool(f)])));
  const config: MemberConfig = {
    name,
    dataDir: get('data-dir').replace('${name}', name),
    walDir: get('wal-dir'),
    listenPeerUrls: urls('listen-peer-urls', get('listen-peer-urls')),
    listenClientUrls: urls('listen-client-urls', get('listen-client-urls')),
    listenClientHttpUrls: urls('listen-client-http-urls', get('listen-client-http-urls')),
    listenMetricsUrls: urls('listen-metrics-urls', get('listen-metrics-urls')),
    initialAdvertisePeerUrls: advertisePeers,
    advertiseClientUrls: urls('advertise-client-urls', get('advertise-client-urls')),
    initialCluster,
    initialClusterState: get('initial-cluster-state') as 'new' | 'existing',
    initialClusterToken: get('initial-cluster-token'),
    clientTls: tls(''),
    peerTls: tls('peer-'),
    heartbeatMs,
    electionMs,
    // As etcd: 0 is taken, for the default (the member logs it as etcd does).
    snapshotCount: int('snapshot-count'),
    // Retention caps that raftkit always meets (it keeps only what is in use): checked, then kept for the record.
    maxSnapshots: int('max-snapshots', 0),
    maxWals: int('max-wals', 0),
    // As etcd: 0 is the default quota, a negative one none.
    quotaBackendBytes: int('quota-backend-bytes'),
    backendBatchIntervalMs: duration('backend-batch-interval', specOf('backend-batch-interval').def),
    // As etcd: 0 is the default; a negative limit is reached at every write.
    backendBatchLimit: Math.max(1, int('backend-batch-limit') || Number(specOf('backend-batch-limit').def)),
    // etcd takes 0 for these two, then refuses every write or every txn: refused here, saying so.
    maxRequestBytes: int('max-request-bytes', 1, ' (etcd takes 0, then refuses every request as too large)'),
    maxTxnOps: int('max-txn-ops', 1, ' (etcd takes 0, then refuses every txn as having too many operations)'),
    maxLearners: int('experimental-max-learners', 1),
    initialCorruptCheck: gated('experimental-initial-corrupt-check'),
    corruptCheckMs: corruptCheckInterval(duration('experimental-corrupt-check-time'), gated('experimental-compact-hash-check-enabled'), duration('experimental-compact-hash-check-time')),
    autoCompactionMode: mode,
    autoCompactionRetention: retention,
    progressNotifyMs: progress,
    jsonGateway: bool('enable-grpc-gateway'),
    cors: corsOrigins(get('cors')),
    hostWhitelist: commaList(get('host-whitelist')),
    warningApplyMs: duration('experimental-warning-apply-duration', '100ms'),
    // As etcd (grpc-go): 0 is no limit, as the default.
    maxConcurrentStreams: int('max-concurrent-streams'),
    keepaliveMinTimeMs: duration('grpc-keepalive-min-time'),
    keepaliveIntervalMs: duration('grpc-keepalive-interval'),
    keepaliveTimeoutMs: duration('grpc-keepalive-timeout'),
    // etcd 3.4's --debug: debug-level logging, whatever --log-level says.
    logLevel: bool('debug') ? 'debug' : get('log-level'),
    logFormat: get('log-format') as 'json' | 'console',
    warningUnaryRequestMs: duration('experimental-warning-unary-request-duration', '300ms'),
    compactionSleepMs: duration('experimental-compaction-sleep-interval'),
    snapshotCatchupEntries: int('experimental-snapshot-catchup-entries', 1),
    bootstrapDefragThresholdMb: int('experimental-bootstrap-defrag-threshold-megabytes', 0),
    handlingTimeHistogram: get('metrics') === 'extensive',
    // As etcd: 0 is the default; a negative limit is none (bbolt's range limit).
    compactionBatchLimit: batchOrAll(int('experimental-compaction-batch-limit') || Number(specOf('experimental-compaction-batch-limit').def)),
    logOutputs: logOutputs(get('log-outputs')),
    preVote: bool('pre-vote'),
    forceNewCluster: bool('force-new-cluster'),
    strictReconfigCheck: bool('strict-reconfig-check'),
    unsafeNoFsync: bool('unsafe-no-fsync'),
    initialElectionTickAdvance: bool('initial-election-tick-advance'),
    socketReusePort: bool('socket-reuse-port'),
    socketReuseAddress: bool('socket-reuse-address'),
    tlsPolicy: tlsPolicy(get('cipher-suites'), get('tls-min-version'), get('tls-max-version')),
    explicitFlags: new Set(values.keys()),
    configIgnored,
    ignoredFlags,
    unrecognizedEnv,
    usedEnv,
  };
  for (const [p, t] of [['', config.clientTls], ['peer-', config.peerTls]] as const) {
    if ((t.certFile === '') !== (t.keyFile === '')) throw new FlagError(`${p}cert-file`, `--${p}cert-file and --${p}key-file must be given together`);
    if ((t.clientCertFile === '') !== (t.clientKeyFile === '')) throw new FlagError(`${p}client-cert-file`, `--${p}client-cert-file and --${p}client-key-file must be given together`);
    if (t.clientCertAuth && t.trustedCaFile === '') throw new FlagError(`${p}trusted-ca-file`, `--${p}client-cert-auth needs --${p}trusted-ca-file`);
    if (p === 'peer-' && t.certFile !== '' && t.trustedCaFile === '') throw new FlagError('peer-trusted-ca-file', 'peer TLS (--peer-cert-file) needs --peer-trusted-ca-file to verify the other members');
  }
  const { allowedCns, allowedHostnames } = config.peerTls;
  if (allowedCns.length > 0 && allowedHostnames.length > 0) {
    throw new FlagError('peer-cert-allowed-hostname', `--peer-cert-allowed-cn and --peer-cert-allowed-hostname are mutually exclusive (cn="${allowedCns.join(',')}", hostname="${allowedHostnames.join(',')}")`);
  }
  // etcd takes none (a cluster of one then runs without peer listeners); raftkit's peer transport listens on one at least.
  if (config.listenPeerUrls.length === 0) throw new FlagError('listen-peer-urls', '--listen-peer-urls must name a URL to listen on for peers');
  // One peer transport serves every peer URL, with TLS or without: etcd can mix the two.
  const peerSchemes = new Set(config.listenPeerUrls.map((u) => new URL(u).protocol));
  if (peerSchemes.size > 1) throw new FlagError('listen-peer-urls', `--listen-peer-urls must all be http or all https, got ${config.listenPeerUrls.join(',')}`);
  if (peerSchemes.has('https:') && config.peerTls.certFile === '') throw new FlagError('peer-cert-file', 'https --listen-peer-urls need --peer-cert-file and --peer-key-file');
  if (config.socketReusePort && !nodeHasReusePort(process.versions.node)) {
    throw new FlagError('socket-reuse-port', `--socket-reuse-port needs Node ${REUSE_PORT_NODE} or newer (Node's listen option reusePort), this is Node ${process.versions.node}`);
  }
  for (const [flag, urls] of [['listen-client-urls', config.listenClientUrls], ['listen-client-http-urls', config.listenClientHttpUrls], ['listen-metrics-urls', config.listenMetricsUrls]] as const) {
    if (urls.some((u) => u.startsWith('https:')) && config.clientTls.certFile === '') throw new FlagError('cert-file', `https --${flag} need --cert-file and --key-file`);
  }
  return { kind: 'run', config };
}

/**
 * How often the leader checks every member's KV hash: `--corrupt-check-time` when set; otherwise, with etcd's
 * compact hash check on (`--feature-gates=CompactHashCheck=true`), `--compact-hash-check-time`, since raftkit's
 * one check (HashKV of every member, a CORRUPT alarm for one that differs) stands for both of etcd's; else never (0).
 */
function corruptCheckInterval(corruptCheckMs: number, compactHashCheck: boolean, compactHashCheckMs: number): number {
  if (corruptCheckMs > 0) return corruptCheckMs;
  return compactHashCheck ? compactHashCheckMs : 0;
}

/** A compaction batch limit: negative is no limit, as a range limit is in bbolt. */
function batchOrAll(limit: number): number {
  return limit < 0 ? Number.MAX_SAFE_INTEGER : limit;
}

/** The Node versions whose `net.Server.listen` takes `reusePort` (SO_REUSEPORT), as `--socket-reuse-port` needs. */
export const REUSE_PORT_NODE = '22.12 (23.1 in 23.x)';

/** Whether Node `version` (`process.versions.node`, `22.12.0`) has `listen`'s `reusePort`: 22.12 on, 23.1 on, 24 on. */
export function nodeHasReusePort(version: string): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
}

/** `--log-outputs`' targets: `default` is `stderr`; each target once, in order. */
function logOutputs(v: string): string[] {
  const targets = v.split(',').map((t) => t.trim());
  if (targets.some((t) => t === '')) throw invalidValue('log-outputs', v, 'an empty target');
  return [...new Set(targets.map((t) => (t === 'default' ? 'stderr' : t)))];
}

/** `--cors`' origins: `*`, or URLs with a host and a port (as etcd checks them; a browser's Origin has the same form). */
function corsOrigins(v: string): string[] {
  const origins = commaList(v);
  for (const o of origins) {
    // Go's url.Parse keeps a default port that WHATWG's URL drops: the form is checked on the text.
    if (o !== '*' && !/^[a-z][a-z0-9+.-]*:\/\/[^/:]+:\d+\/?$/i.test(o) && !/^[a-z][a-z0-9+.-]*:\/\/\[[^\]]+\]:\d+\/?$/i.test(o)) {
      throw invalidValue('cors', v, `URL address does not have the form "host:port": ${o}`);
    }
  }
  return origins;
}

/** A comma-separated flag's values, each trimmed, empty ones left out. */
function commaList(v: string): string[] {
  return v.split(',').map((x) => x.trim()).filter((x) => x !== '');
}

/** `--cipher-suites`, `--tls-min-version` and `--tls-max-version` as Node's TLS settings, checked as etcd checks them. */
function tlsPolicy(suites: string, min: string, max: string): MemberConfig['tlsPolicy'] {
  const node = (v: string): 'TLSv1.2' | 'TLSv1.3' => (v === 'TLS1.3' ? 'TLSv1.3' : 'TLSv1.2');
  let ciphers: string | undefined;
  try {
    ciphers = opensslCiphers(suites);
  } catch (e) {
    throw invalidValue('cipher-suites', suites, (e as Error).message);
  }
  if (max !== '' && node(max) < node(min)) throw new FlagError('tls-max-version', `--tls-max-version ${max} is older than --tls-min-version ${min}`);
  if (ciphers !== undefined && node(min) === 'TLSv1.3') throw new FlagError('cipher-suites', 'cipher suites cannot be configured when only TLS1.3 is enabled (--tls-min-version TLS1.3)');
  return { ...(ciphers === undefined ? {} : { ciphers }), minVersion: node(min), ...(max === '' ? {} : { maxVersion: node(max) }) };
}

/**
 * Checks a member's place in its initial cluster as etcd does: `name` is in `initialCluster`, with
 * exactly `advertisePeers` as its URLs.
 *
 * @throws {@link FlagError} naming the flag at fault.
 */
export function checkMembership(name: string, initialCluster: ReadonlyMap<string, readonly string[]>, advertisePeers: readonly string[]): void {
  const mine = initialCluster.get(name);
  if (mine === undefined) throw new FlagError('initial-cluster', `couldn't find local name "${name}" in the initial cluster configuration`);
  if ([...mine].sort().join(',') !== [...advertisePeers].sort().join(',')) {
    throw new FlagError('initial-advertise-peer-urls', `--initial-cluster has ${name}=${mine.join(',')} but missing from --initial-advertise-peer-urls=${advertisePeers.join(',')}`);
  }
}
