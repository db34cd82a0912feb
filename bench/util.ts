/**
 * Small helpers shared by the benchmarks: order statistics and a timed-loop runner.
 * Benchmarks print figures; nothing here asserts on them.
 */

/** The median of `xs` (the upper median for an even count); NaN for an empty list. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = xs.slice().sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

/**
 * The `p`-th percentile (0–100) of the first `n` values of `xs`, by the nearest-rank method.
 * Sorts a copy; NaN when `n` is 0.
 */
export function percentile(xs: ArrayLike<number>, p: number, n: number = xs.length): number {
  if (n === 0) return NaN;
  const s = xs instanceof Float64Array ? xs.slice(0, n).sort() : Float64Array.from({ length: n }, (_, i) => xs[i]!).sort();
  const rank = Math.ceil((p / 100) * n);
  return s[Math.min(n, Math.max(1, rank)) - 1]!;
}

/** What one timed loop did. */
export interface TimedResult {
  /** The operations the body reported. */
  ops: number;
  /** The wall time the loop took, in milliseconds. */
  ms: number;
}

/**
 * Calls `body` until `durationMs` of wall time has passed and sums the operations it reports
 * (a body does a small unit of work, such as one delivery round, and returns how many
 * operations completed in it). The clock is read once per call.
 */
export function timedLoop(durationMs: number, body: () => number): TimedResult {
  const start = performance.now();
  const end = start + durationMs;
  let ops = 0;
  let now = start;
  while (now < end) {
    ops += body();
    now = performance.now();
  }
  return { ops, ms: now - start };
}

/** Operations per second of a {@link TimedResult}. */
export function opsPerSec(r: TimedResult): number {
  return (r.ops * 1000) / r.ms;
}

/**
 * A growable list of latency samples in milliseconds, backed by a typed array so that
 * recording allocates nothing until it grows.
 */
export class Samples {
  private buf = new Float64Array(1 << 16);
  /** The number of samples recorded. */
  length = 0;

  /** Records one sample. */
  push(v: number): void {
    if (this.length === this.buf.length) {
      const next = new Float64Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.length++] = v;
  }

  /** The `p`-th percentile (0–100) of the samples. */
  percentile(p: number): number {
    return percentile(this.buf, p, this.length);
  }

  /** Forgets every sample (the buffer is kept). */
  clear(): void {
    this.length = 0;
  }
}

/** Formats an integer with thousands separators, padded to `width`. */
export function fmtInt(n: number, width = 0): string {
  return (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-').padStart(width);
}

/** Formats a number with `digits` decimals, padded to `width`. */
export function fmtFixed(n: number, digits: number, width = 0): string {
  return (Number.isFinite(n) ? n.toFixed(digits) : '-').padStart(width);
}

/** Lets pending I/O and timers run between measurements. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * The command line of a forked bench member: `<id> <dir> <id=host:port,...> [extra]`, with this
 * member's host and port picked out of the peer list.
 */
export function memberArgv(argv: readonly string[] = process.argv.slice(2)): {
  id: number;
  dir: string;
  peers: { id: number; address: string }[];
  host: string;
  port: number;
  extra: string | undefined;
} {
  const [idArg, dir, peersArg, extra] = argv;
  const id = Number(idArg);
  const peers = peersArg!.split(',').map((p) => {
    const [pid, address] = p.split('=');
    return { id: Number(pid), address: address! };
  });
  const [host, port] = peers.find((p) => p.id === id)!.address.split(':');
  return { id, dir: dir!, peers, host: host!, port: Number(port), extra };
}

/**
 * The tail of a forked bench member's program: when the parent disconnects, the member stops
 * its replica and exits; the parent then hears `started`. `main` failing exits with status 1.
 */
export function runForkedMember(main: () => Promise<{ stop(): Promise<void> }>): void {
  main().then(
    (replica) => {
      process.on('disconnect', () => {
        void replica.stop().then(() => process.exit(0));
      });
      process.send?.({ type: 'started' });
    },
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
