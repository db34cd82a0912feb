/**
 * etcd 3.6's `--feature-gates`: `Name=bool` pairs, parsed and checked as etcd's feature gate
 * (Kubernetes' component-base) parses them, with its messages. kubeadm writes
 * `--feature-gates=InitialCorruptCheck=true` into the etcd manifests it makes for etcd 3.6.
 * @module
 */
import { FlagError, invalidValue } from './flag-error.js';
import { parseGoBool } from './go-values.js';

/** etcd's server feature gates, each with its default and stage. */
export const FEATURE_GATES: Readonly<Record<string, { def: boolean; stage: 'alpha' | 'beta' }>> = {
  InitialCorruptCheck: { def: false, stage: 'alpha' },
  CompactHashCheck: { def: false, stage: 'alpha' },
  LeaseCheckpoint: { def: false, stage: 'alpha' },
  LeaseCheckpointPersist: { def: false, stage: 'alpha' },
  SetMemberLocalAddr: { def: false, stage: 'alpha' },
  StopGRPCServiceOnDefrag: { def: false, stage: 'alpha' },
  FastLeaseKeepAlive: { def: false, stage: 'alpha' },
  TxnModeWriteWithSharedBuffer: { def: true, stage: 'beta' },
};

/** The experimental flags etcd 3.6 replaced by a gate: setting both is refused. */
export const GATE_OF_FLAG: Readonly<Record<string, string>> = {
  'experimental-initial-corrupt-check': 'InitialCorruptCheck',
  'experimental-compact-hash-check-enabled': 'CompactHashCheck',
  'experimental-enable-lease-checkpoint': 'LeaseCheckpoint',
  'experimental-enable-lease-checkpoint-persist': 'LeaseCheckpointPersist',
  'experimental-txn-mode-write-with-shared-buffer': 'TxnModeWriteWithSharedBuffer',
  'experimental-stop-grpc-service-on-defrag': 'StopGRPCServiceOnDefrag',
};

/**
 * Every gate's value after `value` (`InitialCorruptCheck=true,AllBeta=false`): the defaults,
 * then `AllAlpha`/`AllBeta` for their stage, then the gates named.
 *
 * @throws {@link FlagError} for `feature-gates` with etcd's message: a pair without `=`, a value
 *   that is not a boolean, or a gate etcd does not have.
 */
export function parseFeatureGates(value: string): Map<string, boolean> {
  const fail = (why: string): FlagError => invalidValue('feature-gates', value, why);
  const given = new Map<string, boolean>();
  for (const pair of value.split(',')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = (eq === -1 ? pair : pair.slice(0, eq)).trim();
    if (eq === -1) throw fail(`missing bool value for ${key}`);
    const raw = pair.slice(eq + 1).trim();
    const v = parseGoBool(raw);
    if (v === undefined) throw fail(`invalid value of ${key}=${raw}, err: strconv.ParseBool: parsing ${JSON.stringify(raw)}: invalid syntax`);
    if (key !== 'AllAlpha' && key !== 'AllBeta' && FEATURE_GATES[key] === undefined) throw fail(`unrecognized feature gate: ${key}`);
    given.set(key, v);
  }
  const gates = new Map(Object.entries(FEATURE_GATES).map(([k, g]) => [k, g.def]));
  for (const [special, stage] of [['AllAlpha', 'alpha'], ['AllBeta', 'beta']] as const) {
    const v = given.get(special);
    if (v !== undefined) for (const [k, g] of Object.entries(FEATURE_GATES)) if (g.stage === stage) gates.set(k, v);
  }
  for (const [k, v] of given) if (FEATURE_GATES[k] !== undefined) gates.set(k, v);
  return gates;
}

/**
 * Refuses an experimental flag given together with its gate (etcd's
 * `SetFeatureGatesFromExperimentalFlags`), with etcd's message.
 *
 * @param value - the `--feature-gates` text.
 * @param gates - its parse.
 * @param explicit - the experimental flags given, with their values.
 */
export function checkGateConflicts(value: string, gates: ReadonlyMap<string, boolean>, explicit: ReadonlyMap<string, boolean>): void {
  for (const [flag, gate] of Object.entries(GATE_OF_FLAG)) {
    const v = explicit.get(flag);
    if (v === undefined || !value.includes(gate)) continue;
    const g = `${gate}=${String(gates.get(gate))}`;
    throw new FlagError(flag, `cannot specify both flags: --${flag}=${String(v)} and --feature-gates=${g} at the same time, please just use --feature-gates=${g}`);
  }
}
