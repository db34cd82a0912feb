/**
 * A flag value refused as etcd refuses it: in Go's flag package's words for one on the command line,
 * in etcd's for one in an `ETCD_*` variable.
 * @module
 */
import { FlagError, invalidValue } from './flag-error.js';
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
 * The refusal of `v` as a value of a bool, int, duration or URL-list flag, in Go's flag package's words for a
 * flag on the command line (`source` 'flag', which the config file's values share) and in etcd's
 * for an `ETCD_*` variable (`'env'`); undefined when the value is one of its kind or the flag of
 * another kind. A negative duration, which Go takes, is refused: etcd would hand it to a ticker,
 * which panics on it.
 */
export function kindError(spec: FlagSpec, v: string, source: 'flag' | 'env'): FlagError | undefined {
  let why: string | undefined;
  if (spec.kind === 'urls') why = urlListError(v);
  else if (spec.kind === 'bool') why = parseGoBool(v) === undefined ? 'parse error' : undefined;
  else if (spec.kind === 'int') {
    const n = intValue(spec, v);
    why = typeof n === 'string' ? n : undefined;
  } else if (spec.kind === 'duration') {
    const ms = parseDuration(v);
    why = ms === undefined ? 'parse error' : ms < 0 ? 'must not be negative' : undefined;
  }
  if (why === undefined) return undefined;
  if (source === 'env') return new FlagError(spec.name, `invalid value "${v}" for ${envName(spec.name)}: ${why}`);
  return spec.kind === 'bool' ? new FlagError(spec.name, `invalid boolean value "${v}" for -${spec.name}: ${why}`) : invalidValue(spec.name, v, why);
}

/** A URL's scheme, lower-cased ('' for none), as Go's `url.Parse` reads it. */
const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):/;
/** A URL's authority and path (up to its query or fragment). */
const AUTHORITY_PATH = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)([^?#]*)/;
/** `host:port`, the host a name, an IPv4 address or a bracketed IPv6 one. */
const HOST_PORT = /^(\[[^\]]*\]|[^:[\]]*):\d+$/;

/** A URL list's URLs: comma-separated, each trimmed (none for an empty list). */
export function urlList(v: string): string[] {
  return v === '' ? [] : v.split(',').map((u) => u.trim());
}

/**
 * Why etcd's `types.NewURLs` refuses the URL list `v`, in its words, or undefined when it is one:
 * each URL of scheme http or https, with a `host:port` and no path. etcd's `unix` and `unixs`
 * schemes (Unix sockets) are refused, saying so: raftkit listens on TCP only.
 */
export function urlListError(v: string): string | undefined {
  for (const u of urlList(v)) {
    const scheme = SCHEME.exec(u)?.[1]!.toLowerCase() ?? '';
    if (scheme === 'unix' || scheme === 'unixs') return `URL scheme ${scheme} (a Unix socket) is not supported: raftkit listens on TCP: ${u}`;
    if (scheme !== 'http' && scheme !== 'https') return `URL scheme must be http, https, unix, or unixs: ${u}`;
    const parts = AUTHORITY_PATH.exec(u);
    if (parts === null || !HOST_PORT.test(parts[1]!.replace(/^[^@]*@/, ''))) return `URL address does not have the form "host:port": ${u}`;
    if (parts[2] !== '') return `URL must not contain a path: ${u}`;
    if (!URL.canParse(u)) return `URL "${u}" is not valid`;
  }
  return undefined;
}
