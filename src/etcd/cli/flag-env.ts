/**
 * The `ETCD_*` environment variables, read as etcd's `SetFlagsFromEnv` reads them.
 * @module
 */
import { FlagError } from './flag-error.js';
import { FLAGS, envName } from './flag-table.js';
import { kindError } from './value-errors.js';

/** The flags in Go's `VisitAll` order: by name. */
const BY_NAME = [...FLAGS].sort((a, b) => (a.name < b.name ? -1 : 1));

/**
 * Sets in `values` the flags that `env` gives and the command line did not (the flags already in
 * `values`), as etcd does:
 * - an empty variable is not used;
 * - every variable is tried, by flag name, and the last one refused is the one reported;
 * - before that, a variable for a flag the command line also gives is refused: etcd stops on it
 *   ("conflicting environment variable ... is shadowed");
 * - an `ETCD_*` variable that names no flag (or is empty) is not an error: it goes to
 *   `unrecognized` (`NAME=value`), which the member logs as etcd warns of it;
 * - each variable used goes to `used` (name and value), which the member logs as etcd does.
 *
 * @throws {@link FlagError} for the shadowed variable, else for the last value refused.
 */
export function readFlagEnv(values: Map<string, string>, env: Readonly<Record<string, string | undefined>>, unrecognized: string[], used: [name: string, value: string][]): void {
  const onCommandLine = new Set([...values.keys()].map(envName));
  const usedKeys = new Set<string>();
  let refused: FlagError | undefined;
  for (const f of BY_NAME) {
    const key = envName(f.name);
    const v = env[key];
    if (onCommandLine.has(key) || v === undefined || v === '') continue;
    usedKeys.add(key);
    const err = kindError(f, v, 'env');
    if (err === undefined) {
      values.set(f.name, v);
      used.push([key, v]);
    } else refused = err;
  }
  for (const [key, v] of Object.entries(env)) {
    if (usedKeys.has(key) || v === undefined) continue;
    if (onCommandLine.has(key)) {
      const flag = FLAGS.find((f) => envName(f.name) === key)!.name;
      throw new FlagError(flag, `conflicting environment variable "${key}" is shadowed by corresponding command-line flag (either unset environment variable or disable flag)`);
    }
    if (key.startsWith('ETCD_')) unrecognized.push(`${key}=${v}`);
  }
  if (refused !== undefined) throw refused;
}
