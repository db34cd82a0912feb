/**
 * etcd's `--config-file`: a YAML file whose keys are etcd's settings (its flags' names, with the
 * TLS settings in `client-transport-security` and `peer-transport-security` blocks, SO_REUSEPORT
 * and SO_REUSEADDR in `socket-options`). As in etcd,
 * when a config file is given, the other flags and the `ETCD_*` variables are ignored.
 * @module
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { FlagError } from './flag-error.js';
import type { FlagSpec } from './flag-table.js';

/** The refusal of the config file at `path`, saying `why`. */
function fail(path: string, why: string): FlagError {
  return new FlagError('config-file', `--config-file ${JSON.stringify(path)}: ${why}`);
}


/** The keys of a `*-transport-security` block, and the flag each is (after `peer-` for the peer block). */
const SECURITY: Readonly<Record<string, string>> = {
  'cert-file': 'cert-file', 'key-file': 'key-file', 'client-cert-auth': 'client-cert-auth', 'trusted-ca-file': 'trusted-ca-file', 'auto-tls': 'auto-tls',
  'allowed-cn': 'cert-allowed-cn', 'allowed-hostname': 'cert-allowed-hostname',
};

/** The keys of etcd's `socket-options` block (etcd 3.5), and the flag each is. */
const SOCKET: Readonly<Record<string, string>> = { 'reuse-port': 'socket-reuse-port', 'reuse-address': 'socket-reuse-address' };

/** The blocks of settings etcd's config file has: the prefix of their flags and the flag of each key. */
const BLOCKS: Readonly<Record<string, readonly [string, Readonly<Record<string, string>>]>> = {
  'client-transport-security': ['', SECURITY], 'peer-transport-security': ['peer-', SECURITY], 'socket-options': ['', SOCKET],
};

/** What a config file sets: flag values (as the command line would give them), and the keys raftkit has no setting for. */
export interface ConfigFileValues {
  /** Each setting's value, by flag name. */
  values: Map<string, string>;
  /** The keys ignored (etcd settings raftkit does not have, or unknown keys, which etcd ignores too). */
  ignored: string[];
}

/** The flags whose setting is a YAML list (Go's `[]string`), and those that take a list or one string (etcd 3.6's `allowed-cn`). */
const LISTS = new Set(['cipher-suites', 'log-outputs']);
const STRING_OR_LIST = new Set(['peer-cert-allowed-cn', 'peer-cert-allowed-hostname', 'client-cert-allowed-hostname']);

/** What a YAML value is, for a refusal: `the string "x"`, `the number 5`, `true`, `a list`. */
function describe(v: unknown): string {
  if (typeof v === 'string') return `the string ${JSON.stringify(v)}`;
  if (typeof v === 'number') return `the number ${String(v)}`;
  if (typeof v === 'boolean') return String(v);
  return Array.isArray(v) ? 'a list' : 'a mapping';
}

/**
 * The YAML value's type is the one etcd's Go setting has (else what etcd says, in other words):
 * booleans for bool flags, integers for numbers (unsigned unless `signed`), integers of nanoseconds
 * for durations, strings for the rest, lists for the list settings. `undefined` when it is.
 */
function typeError(spec: FlagSpec, v: unknown): string | undefined {
  const isInt = typeof v === 'number' && Number.isInteger(v);
  if (spec.kind === 'bool') return typeof v === 'boolean' ? undefined : 'a boolean';
  if (spec.kind === 'duration') return isInt ? undefined : 'a duration in nanoseconds (an integer)';
  if (spec.kind === 'int') return isInt && (spec.signed === true || v >= 0) ? undefined : spec.signed === true ? 'an integer' : 'an integer >= 0';
  const list = Array.isArray(v) && v.every((x) => typeof x === 'string');
  if (LISTS.has(spec.name)) return list ? undefined : 'a list of strings';
  if (STRING_OR_LIST.has(spec.name)) return typeof v === 'string' || list ? undefined : 'a string or a list of strings';
  return typeof v === 'string' ? undefined : 'a string';
}

/** A YAML value as the flag's text: lists comma-separated, durations (Go's, in nanoseconds in the file) from numbers. */
function flagText(spec: FlagSpec, v: unknown): string {
  if (Array.isArray(v)) return v.join(',');
  if (typeof v === 'number' && spec.kind === 'duration') return `${String(v / 1e6)}ms`;
  return String(v);
}

/**
 * Reads the config file at `path`; `known` tells which flags exist, and the kind of each.
 *
 * @throws {@link FlagError} for `config-file` when it cannot be read or is not a YAML mapping.
 */
export function readConfigFile(path: string, known: ReadonlyMap<string, FlagSpec>): ConfigFileValues {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw fail(path, (e as Error).message);
  }
  let doc: unknown;
  try {
    // YAML 1.1, as etcd's Go YAML reads it: `yes`, `on` and `y` are booleans, `010` is octal.
    doc = parse(text, { version: '1.1' });
  } catch (e) {
    throw fail(path, `not YAML: ${(e as Error).message}`);
  }
  if (doc === null || doc === undefined) doc = {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw fail(path, 'not a mapping of settings');
  const values = new Map<string, string>();
  const ignored: string[] = [];
  const set = (flag: string, key: string, v: unknown): void => {
    const spec = known.get(flag);
    if (spec === undefined || flag === 'config-file') ignored.push(key);
    else if (v === null || v === undefined) return;
    else {
      const want = typeError(spec, v);
      if (want !== undefined) throw new FlagError(flag, `--config-file ${JSON.stringify(path)}: ${key} must be ${want}, not ${describe(v)}`);
      values.set(flag, flagText(spec, v));
    }
  };
  for (const [key, v] of Object.entries(doc as Record<string, unknown>)) {
    const block = Object.hasOwn(BLOCKS, key) ? BLOCKS[key] : undefined;
    if (block === undefined) {
      set(key, key, v);
      continue;
    }
    if (v === null || v === undefined) continue;
    if (typeof v !== 'object' || Array.isArray(v)) throw fail(path, `${key} must be a mapping`);
    const [prefix, flags] = block;
    for (const [k, sv] of Object.entries(v as Record<string, unknown>)) {
      const flag = Object.hasOwn(flags, k) ? flags[k] : undefined;
      // The client side has no allowed names (etcd's are for peers).
      if (flag === undefined || (key === 'client-transport-security' && flag.startsWith('cert-allowed'))) ignored.push(`${key}.${k}`);
      else set(`${prefix}${flag}`, `${key}.${k}`, sv);
    }
  }
  return { values, ignored };
}
