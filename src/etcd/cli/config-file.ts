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
import type { Kind } from './flag-table.js';

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

/** A YAML value as the flag's text: lists comma-separated, durations (Go's, in nanoseconds in the file) from numbers; undefined for an empty one. */
function flagText(kind: Kind | undefined, v: unknown): string | undefined {
  if (v === null || v === undefined) return undefined;
  if (Array.isArray(v)) return v.map((x) => (typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean' ? String(x) : JSON.stringify(x))).join(',');
  if (typeof v === 'number' && kind === 'duration') return `${String(v / 1e6)}ms`;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

/**
 * Reads the config file at `path`; `known` tells which flags exist, and the kind of each.
 *
 * @throws {@link FlagError} for `config-file` when it cannot be read or is not a YAML mapping.
 */
export function readConfigFile(path: string, known: ReadonlyMap<string, Kind>): ConfigFileValues {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw fail(path, (e as Error).message);
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    throw fail(path, `not YAML: ${(e as Error).message}`);
  }
  if (doc === null || doc === undefined) doc = {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw fail(path, 'not a mapping of settings');
  const values = new Map<string, string>();
  const ignored: string[] = [];
  const set = (flag: string, key: string, v: unknown): void => {
    const t = flagText(known.get(flag), v);
    if (!known.has(flag) || flag === 'config-file') ignored.push(key);
    else if (t !== undefined) values.set(flag, t);
  };
  for (const [key, v] of Object.entries(doc as Record<string, unknown>)) {
    const block = Object.hasOwn(BLOCKS, key) ? BLOCKS[key] : undefined;
    if (block === undefined) {
      if (typeof v === 'object' && v !== null && !Array.isArray(v)) ignored.push(key);
      else set(key, key, v);
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
