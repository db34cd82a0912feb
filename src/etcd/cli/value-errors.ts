/**
 * A flag value refused as etcd refuses it: in Go's flag package's words for one on the command line,
 * in etcd's for one in an `ETCD_*` variable.
 * @module
 */
import { FlagError } from './flag-error.js';
import { envName, type FlagSpec } from './flag-table.js';
import { parseGoBool, parseGoDuration as parseDuration, parseGoInt, parseGoUint } from './go-values.js';

/** An int flag's value as Go reads it for the flag's type, or why Go refuses it. */
export function intValue(spec: FlagSpec, v: string): bigint | string {
  const n = spec.signed === true ? parseGoInt(v) : parseGoUint(v, spec.uint32 === true ? 32 : 64);
  // etcd's own uint32 type hands back strconv's error; Go's flag package words its own types' errors.
  if (typeof n === 'string' && spec.uint32 === true) return `strconv.ParseUint: parsing ${JSON.stringify(v)}: ${n === 'parse error' ? 'invalid syntax' : n}`;
  return n;
}

/**
 * The refusal of `v` as a value of a bool, int or duration flag, in Go's flag package's words for a
 * flag on the command line (`source` 'flag', which the config file's values share) and in etcd's
 * for an `ETCD_*` variable (`'env'`); undefined when the value is one of its kind or the flag of
 * another kind. A negative duration, which Go takes, is refused: etcd would hand it to a ticker,
 * which panics on it.
 */
export function kindError(spec: FlagSpec, v: string, source: 'flag' | 'env'): FlagError | undefined {
  let why: string | undefined;
  if (spec.kind === 'bool') why = parseGoBool(v) === undefined ? 'parse error' : undefined;
  else if (spec.kind === 'int') {
    const n = intValue(spec, v);
    why = typeof n === 'string' ? n : undefined;
  } else if (spec.kind === 'duration') {
    const ms = parseDuration(v);
    why = ms === undefined ? 'parse error' : ms < 0 ? 'must not be negative' : undefined;
  }
  if (why === undefined) return undefined;
  if (source === 'env') return new FlagError(spec.name, `invalid value "${v}" for ${envName(spec.name)}: ${why}`);
  return new FlagError(spec.name, spec.kind === 'bool' ? `invalid boolean value "${v}" for -${spec.name}: ${why}` : `invalid value "${v}" for flag -${spec.name}: ${why}`);
}
