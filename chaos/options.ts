/**
 * Options of the chaos run, from command-line flags (`--duration 60s`) or environment
 * variables (`CHAOS_DURATION=60s`); flags win.
 */

/** A kind of fault the nemesis injects. */
export type FaultKind = 'kill' | 'pause' | 'kill-leader' | 'restart-all' | 'hostile';

/** Every fault kind, in a fixed order. */
export const FAULT_KINDS: readonly FaultKind[] = ['kill', 'pause', 'kill-leader', 'restart-all', 'hostile'];

/** What one chaos run does. Times are in milliseconds. */
export interface ChaosOptions {
  /** How long the workload and the nemesis run. Default 30 s. */
  durationMs: number;
  /** Cluster size: 3 or 5. Default 3. */
  members: number;
  /** Concurrent clients, each issuing one operation at a time. Default 8. */
  clients: number;
  /** Distinct keys (`k0`, `k1`, …); fewer keys mean more contention. Default 4. */
  keys: number;
  /** Seeds the workload's and the nemesis's choices (timing is real, so a run is not replayed exactly). */
  seed: number;
  /** Where the history is saved. Default `chaos-out/chaos-history-<seed>.json`. */
  out: string;
  /** The Replica's deadline per request (`RequestOptions.timeoutMs`). Default 2000. */
  requestTimeoutMs: number;
  /** The client gives up on an answer after this (a paused member answers nothing). Default request timeout + 1000. */
  clientTimeoutMs: number;
  /** Mean time between nemesis actions (each is drawn from [½, 1½] of it). Default 3000. */
  intervalMs: number;
  /** Longest time a killed member stays down or a paused one stays paused (drawn from [⅕, 1] of it). Default 3000. */
  downMs: number;
  /** The fault kinds the nemesis may pick; each is used once (in a seeded order) before random picks. */
  faults: readonly FaultKind[];
  /** The most time the linearizability check may take before the result is "unknown". Default 120 s. */
  checkTimeMs: number;
  /** Keep the members' data directories instead of deleting them. */
  keep: boolean;
}

/** Parses `30s`, `2m`, `500ms` or a bare number of seconds into milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(text.trim());
  if (m === null) throw new Error(`invalid duration '${text}' (use e.g. 30s, 2m, 500ms)`);
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  return Math.round(n * (unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'm' ? 60_000 : 3_600_000));
}

function intOption(name: string, text: string, min: number): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}, got '${text}'`);
  return n;
}

const FLAGS = ['duration', 'members', 'clients', 'keys', 'seed', 'out', 'timeout', 'client-timeout', 'interval', 'down', 'faults', 'check-time', 'keep'] as const;

/** The usage text printed for `--help` or a bad flag. */
export const USAGE = `usage: npm run chaos -- [--duration 30s] [--members 3|5] [--clients 8] [--keys 4] [--seed N]
                       [--out file.json] [--timeout 2000ms] [--client-timeout 3000ms] [--interval 3s]
                       [--down 3s] [--faults kill,pause,kill-leader,restart-all,hostile] [--check-time 120s] [--keep]
Each flag can also be given as an environment variable: CHAOS_DURATION=60s, CHAOS_MEMBERS=5, …`;

/**
 * Reads the options from `argv` (without the node and script arguments) and `env`.
 *
 * @throws Error naming the bad flag.
 */
export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv = {}): ChaosOptions {
  const raw = new Map<string, string>();
  for (const flag of FLAGS) {
    const v = env[`CHAOS_${flag.toUpperCase().replaceAll('-', '_')}`];
    if (v !== undefined && v !== '') raw.set(flag, v);
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new Error(`unexpected argument '${arg}'`);
    const [name, inline] = arg.slice(2).split('=', 2) as [string, string | undefined];
    if (!(FLAGS as readonly string[]).includes(name)) throw new Error(`unknown flag --${name}`);
    if (name === 'keep') {
      raw.set(name, inline ?? 'true');
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new Error(`--${name} needs a value`);
    raw.set(name, value);
  }
  const get = (name: (typeof FLAGS)[number]): string | undefined => raw.get(name);
  const members = intOption('members', get('members') ?? '3', 3);
  if (members !== 3 && members !== 5) throw new Error(`--members must be 3 or 5, got ${members}`);
  const seed = get('seed') === undefined ? Date.now() % 1_000_000 : intOption('seed', get('seed')!, 0);
  const requestTimeoutMs = parseDuration(get('timeout') ?? '2000ms');
  const faults = (get('faults') ?? FAULT_KINDS.join(',')).split(',').map((f) => f.trim());
  for (const f of faults) if (!(FAULT_KINDS as readonly string[]).includes(f)) throw new Error(`unknown fault kind '${f}' (use ${FAULT_KINDS.join(', ')})`);
  return {
    durationMs: parseDuration(get('duration') ?? '30s'),
    members,
    clients: intOption('clients', get('clients') ?? '8', 1),
    keys: intOption('keys', get('keys') ?? '4', 1),
    seed,
    out: get('out') ?? `chaos-out/chaos-history-${seed}.json`,
    requestTimeoutMs,
    clientTimeoutMs: get('client-timeout') === undefined ? requestTimeoutMs + 1000 : parseDuration(get('client-timeout')!),
    intervalMs: parseDuration(get('interval') ?? '3s'),
    downMs: parseDuration(get('down') ?? '3s'),
    faults: faults as FaultKind[],
    checkTimeMs: parseDuration(get('check-time') ?? '120s'),
    keep: get('keep') === 'true' || get('keep') === '1',
  };
}
