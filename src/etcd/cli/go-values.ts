/**
 * Flag values read as etcd's Go flag parser reads them (`strconv.ParseBool`, `strconv.ParseUint`
 * with base 0, `time.ParseDuration`), so that a command line etcd takes is taken here and one etcd
 * refuses is refused. `test/etcd/go-values-differential.test.ts` checks each against Debian's etcd.
 */

/** Go's `strconv.ParseBool`: `1 t T TRUE true True` and `0 f F FALSE false False`; undefined otherwise. */
export function parseGoBool(v: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  return undefined;
}

/** Why a value is not a number of its kind, in the words of Go's `strconv` errors. */
export type GoParseError = 'parse error' | 'value out of range';

const UINT64_MAX = (1n << 64n) - 1n;

/**
 * Go's `strconv.ParseUint(v, 0, bits)`, as etcd's unsigned flags read their values: decimal, `0x`
 * hex, `0o` or a leading `0` octal, `0b` binary, and `_` between digits (`1_000`). No sign.
 *
 * @param v - the text.
 * @param bits - the width of the result (64, or 32 for etcd's `uint32` flags): a larger number is
 * out of range.
 */
export function parseGoUint(v: string, bits: 32 | 64 = 64): bigint | GoParseError {
  const max = bits === 64 ? UINT64_MAX : (1n << BigInt(bits)) - 1n;
  if (v === '') return 'parse error';
  let base = 10n;
  let digits = v;
  if (v.startsWith('0')) {
    const prefix = v.length >= 3 ? v[1]!.toLowerCase() : '';
    base = prefix === 'b' ? 2n : prefix === 'x' ? 16n : 8n;
    digits = prefix === 'b' || prefix === 'o' || prefix === 'x' ? v.slice(2) : v.slice(1);
  }
  let n = 0n;
  let underscores = false;
  for (const c of digits) {
    if (c === '_') {
      underscores = true;
      continue;
    }
    const d = /[0-9]/.test(c) ? BigInt(c.charCodeAt(0) - 48) : /[a-z]/i.test(c) ? BigInt(c.toLowerCase().charCodeAt(0) - 87) : 99n;
    if (d >= base) return 'parse error';
    n = n * base + d;
    if (n > max) return 'value out of range';
  }
  return underscores && !underscoresOk(v) ? 'parse error' : n;
}

const INT64_MIN_ABS = 1n << 63n;

/**
 * Go's `strconv.ParseInt(v, 0, 64)`, as etcd's signed flags (`--quota-backend-bytes`) read their
 * values: an optional sign, then what {@link parseGoUint} takes, within int64.
 */
export function parseGoInt(v: string): bigint | GoParseError {
  const neg = v.startsWith('-');
  const body = neg || v.startsWith('+') ? v.slice(1) : v;
  // As Go: the sign comes off, the rest is read as unsigned (a second sign is not a digit).
  const n = /^[+-]/.test(body) ? 'parse error' : parseGoUint(body);
  if (typeof n === 'string') return n;
  if (neg ? n > INT64_MIN_ABS : n >= INT64_MIN_ABS) return 'value out of range';
  return neg ? -n : n;
}

/** Go's `underscoreOK`: each `_` stands between two digits (a base prefix counts as a digit). */
function underscoresOk(v: string): boolean {
  let saw: 'start' | 'digit' | '_' | 'other' = 'start';
  let i = 0;
  const hex = /^0x/i.test(v);
  if (/^0[box]/i.test(v)) {
    i = 2;
    saw = 'digit';
  }
  for (; i < v.length; i++) {
    const c = v[i]!;
    if (/[0-9]/.test(c) || (hex && /[a-f]/i.test(c))) saw = 'digit';
    else if (c === '_') {
      if (saw !== 'digit') return false;
      saw = '_';
    } else {
      if (saw === '_') return false;
      saw = 'other';
    }
  }
  return saw !== '_';
}

const NS_PER_UNIT: Readonly<Record<string, bigint>> = { ns: 1n, us: 1_000n, 'µs': 1_000n, 'μs': 1_000n, ms: 1_000_000n, s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n };
const INT64_LIMIT = 1n << 63n;

/** One `<number><unit>` part of a Go duration: its whole digits, its fraction's and its unit. */
const DURATION_PART = /^(\d*)(?:\.(\d*))?([^\d.]*)/;

/**
 * Go's `time.ParseDuration` (`1h30m`, `1.5s`, `.5s`, `-2m`, `0`), in nanoseconds; undefined for
 * what Go refuses: no unit, an unknown one (`5S`, `5sec`), no digits, more than 292 years.
 */
export function parseGoDurationNs(v: string): bigint | undefined {
  let s = v;
  const neg = s.startsWith('-');
  if (neg || s.startsWith('+')) s = s.slice(1);
  if (s === '0') return 0n;
  if (s === '') return undefined;
  let total = 0n;
  while (s !== '') {
    const m = DURATION_PART.exec(s)!;
    const [whole, int = '', frac, unitText = ''] = m;
    if (int === '' && (frac === undefined || frac === '')) return undefined;
    const unit = NS_PER_UNIT[unitText];
    if (unit === undefined) return undefined;
    let n = BigInt(int === '' ? '0' : int);
    if (n > INT64_LIMIT / unit) return undefined;
    n *= unit;
    if (frac !== undefined && frac !== '') {
      // As Go: the fraction's digits up to int64's precision, scaled in float64.
      const kept = frac.slice(0, 18);
      n += BigInt(Math.trunc(Number(kept) * (Number(unit) / 10 ** kept.length)));
      if (n > INT64_LIMIT) return undefined;
    }
    total += n;
    if (total > INT64_LIMIT) return undefined;
    s = s.slice(whole.length);
  }
  if (neg) return -total;
  return total === INT64_LIMIT ? undefined : total;
}

/**
 * Why Go's `time.ParseDuration` refuses `v`, in its words (`time: invalid duration "x"`,
 * `time: missing unit in duration "5"`, `time: unknown unit "x" in duration "5x"`), for a value
 * {@link parseGoDurationNs} refuses.
 */
export function goDurationError(v: string): string {
  const quoted = JSON.stringify(v);
  let s = v.startsWith('-') || v.startsWith('+') ? v.slice(1) : v;
  while (s !== '') {
    const [whole, int = '', frac = '', unit = ''] = DURATION_PART.exec(s)!;
    if (int === '' && frac === '') break;
    if (unit === '') return `time: missing unit in duration ${quoted}`;
    if (NS_PER_UNIT[unit] === undefined) return `time: unknown unit ${JSON.stringify(unit)} in duration ${quoted}`;
    s = s.slice(whole.length);
  }
  // No digits where a number must start, nothing at all, or more than int64 nanoseconds.
  return `time: invalid duration ${quoted}`;
}

/** {@link parseGoDurationNs} in milliseconds (fractions kept). */
export function parseGoDuration(v: string): number | undefined {
  const ns = parseGoDurationNs(v);
  return ns === undefined ? undefined : Number(ns) / 1e6;
}
