import type { HeaderField } from './header-field.js';

/** HPACK's static table (RFC 7541 Appendix A): index i + 1 is `STATIC_TABLE[i]`. */
export const STATIC_TABLE: readonly HeaderField[] = ([
  [':authority', ''], [':method', 'GET'], [':method', 'POST'], [':path', '/'], [':path', '/index.html'],
  [':scheme', 'http'], [':scheme', 'https'], [':status', '200'], [':status', '204'], [':status', '206'],
  [':status', '304'], [':status', '400'], [':status', '404'], [':status', '500'], ['accept-charset', ''],
  ['accept-encoding', 'gzip, deflate'], ['accept-language', ''], ['accept-ranges', ''], ['accept', ''],
  ['access-control-allow-origin', ''], ['age', ''], ['allow', ''], ['authorization', ''], ['cache-control', ''],
  ['content-disposition', ''], ['content-encoding', ''], ['content-language', ''], ['content-length', ''],
  ['content-location', ''], ['content-range', ''], ['content-type', ''], ['cookie', ''], ['date', ''], ['etag', ''],
  ['expect', ''], ['expires', ''], ['from', ''], ['host', ''], ['if-match', ''], ['if-modified-since', ''],
  ['if-none-match', ''], ['if-range', ''], ['if-unmodified-since', ''], ['last-modified', ''], ['link', ''],
  ['location', ''], ['max-forwards', ''], ['proxy-authenticate', ''], ['proxy-authorization', ''], ['range', ''],
  ['referer', ''], ['refresh', ''], ['retry-after', ''], ['server', ''], ['set-cookie', ''],
  ['strict-transport-security', ''], ['transfer-encoding', ''], ['user-agent', ''], ['vary', ''], ['via', ''],
  ['www-authenticate', ''],
] as const).map(([name, value]) => ({ name, value }));

/** Static index (1-based) of each exact name/value pair, keyed by `name + '\0' + value`. */
export const STATIC_FIELD_INDEX: ReadonlyMap<string, number> = new Map(STATIC_TABLE.map((f, i) => [`${f.name}\0${f.value}`, i + 1]));

/** The first static index (1-based) of each name. */
export const STATIC_NAME_INDEX: ReadonlyMap<string, number> = new Map(
  STATIC_TABLE.map((f, i) => [f.name, i + 1] as const).filter(([name], i, all) => all.findIndex(([n]) => n === name) === i),
);
