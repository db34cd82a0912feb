/**
 * The interleaved method of the etcd bench, as pure functions: the order in which two systems take
 * turns under load ({@link sliceSchedule}) and what a row's slices add up to ({@link aggregateSlices}).
 * The bench does the I/O; nothing here reads a clock.
 */
import { median, percentile } from './util.js';

/**
 * The order of a row's measured slices: `perSystem` slices of each of `systems` systems (1 or 2),
 * as system indexes. Two systems alternate in pairs whose order flips from pair to pair, starting
 * with `first`: `first` 0 and 4 slices each give `0 1 1 0 0 1 1 0` (A B B A A B B A). A slow phase
 * of the machine that spans a few slices then hits both systems alike, a linear drift over a pair of
 * pairs cancels, and each system follows the other as often as it follows itself (an even
 * `perSystem` balances the order exactly). One system alone just repeats.
 *
 * @param systems - how many systems take turns: 1 or 2.
 * @param perSystem - measured slices per system (at least 1).
 * @param first - the system of the first slice (0 or 1; with one system, 0).
 * @returns `systems * perSystem` system indexes; slices `2k` and `2k + 1` form pair `k`.
 * @throws RangeError when `systems` is not 1 or 2, `perSystem` is not a positive integer, or `first` is not a system.
 */
export function sliceSchedule(systems: number, perSystem: number, first = 0): number[] {
  if (systems !== 1 && systems !== 2) throw new RangeError(`sliceSchedule takes 1 or 2 systems, not ${String(systems)}`);
  if (!Number.isInteger(perSystem) || perSystem < 1) throw new RangeError(`perSystem must be a positive integer, not ${String(perSystem)}`);
  if (first !== 0 && first !== systems - 1) throw new RangeError(`first must be 0${systems === 2 ? ' or 1' : ''}, not ${String(first)}`);
  if (systems === 1) return Array.from({ length: perSystem }, () => 0);
  const out: number[] = [];
  for (let k = 0; k < perSystem; k++) out.push(...(k % 2 === 0 ? [first, 1 - first] : [1 - first, first]));
  return out;
}

/** One measured slice of one system's load. */
export interface Slice {
  /** The system that was under load (an index of {@link sliceSchedule}'s). */
  system: number;
  /** Operations completed in the slice (for the watch row, events delivered). */
  ops: number;
  /** The slice's measured wall time, ms. */
  ms: number;
  /** Each operation's latency in the slice, ms. */
  latencies: readonly number[];
  /** CPU seconds each system's members used during the slice, by system index. */
  cpuSeconds: readonly number[];
  /**
   * CPU seconds the rest of the machine used during the slice: everything busy but the members and
   * the bench itself (kernel threads working for the members count here). NaN when unknown.
   */
  otherSeconds?: number;
}

/** The percentiles each system's latencies are summed up by (the p99 the target names among them): where a difference lies (the median, or only the tail). */
export const LATENCY_QUANTILES = [50, 90, 99, 99.9] as const;

/** The {@link LATENCY_QUANTILES} of `latencies` and, among them, the p99. */
export function latencyFigures(latencies: readonly number[]): { p99Ms: number; quantilesMs: number[] } {
  const quantilesMs = LATENCY_QUANTILES.map((q) => percentile(latencies, q));
  return { p99Ms: quantilesMs[LATENCY_QUANTILES.indexOf(99)]!, quantilesMs };
}

/** What one system's slices of a row add up to. */
export interface SystemTotals {
  /** Operations over all its slices. */
  ops: number;
  /** Measured time over all its slices, ms. */
  ms: number;
  /** `ops` per second of `ms`: total operations over total measured time. */
  opsPerSec: number;
  /** The 99th percentile of every latency of its slices together, ms. */
  p99Ms: number;
  /** The {@link LATENCY_QUANTILES} of every latency of its slices together, ms, in that order. */
  quantilesMs: number[];
  /** Its members' CPU while the other system was under load, ms per second of those slices (NaN with one system). */
  idleCpuMsPerSec: number;
  /** Cores the rest of the machine kept busy during its slices, on average (NaN when a slice did not say). */
  otherCores: number;
}

/** A row's slices, aggregated: each system's totals and the per-pair ratios. */
export interface SliceSummary {
  /** By system index. */
  systems: SystemTotals[];
  /**
   * Per pair `k` (slices `2k` and `2k + 1`), system 0's ops/s over system 1's, in schedule
   * order; empty with one system.
   */
  pairRatios: number[];
  /** System 0's ops/s over system 1's over the whole row (NaN with one system). */
  ratio: number;
}

/**
 * Sums a row's slices per system and pairs them up.
 *
 * @param slices - the measured slices in schedule order (as {@link sliceSchedule} laid them out).
 * @param systems - how many systems took turns (1 or 2).
 * @returns each system's totals, the per-pair ratios and the whole row's ratio.
 * @throws RangeError when two systems' slices are not in pairs of one slice of each.
 */
export function aggregateSlices(slices: readonly Slice[], systems: number): SliceSummary {
  const totals = Array.from({ length: systems }, (_, s): SystemTotals => {
    const own = slices.filter((x) => x.system === s);
    const others = slices.filter((x) => x.system !== s);
    const ops = own.reduce((n, x) => n + x.ops, 0);
    const ms = own.reduce((n, x) => n + x.ms, 0);
    const otherMs = others.reduce((n, x) => n + x.ms, 0);
    const latencies = own.flatMap((x) => x.latencies);
    return {
      ops,
      ms,
      opsPerSec: ms === 0 ? NaN : (ops * 1000) / ms,
      ...latencyFigures(latencies),
      idleCpuMsPerSec: otherMs === 0 ? NaN : (others.reduce((n, x) => n + (x.cpuSeconds[s] ?? 0), 0) * 1_000_000) / otherMs,
      otherCores: ms === 0 ? NaN : (own.reduce((n, x) => n + (x.otherSeconds ?? NaN), 0) * 1000) / ms,
    };
  });
  const pairRatios: number[] = [];
  if (systems === 2) {
    if (slices.length % 2 !== 0) throw new RangeError(`two systems' slices come in pairs, not ${String(slices.length)} slices`);
    for (let k = 0; k < slices.length; k += 2) {
      const pair = [slices[k]!, slices[k + 1]!];
      const a = pair.find((x) => x.system === 0);
      const b = pair.find((x) => x.system === 1);
      if (a === undefined || b === undefined) throw new RangeError(`pair ${String(k / 2)} is not one slice of each system`);
      pairRatios.push((a.ops * b.ms) / (a.ms * b.ops));
    }
  }
  return { systems: totals, pairRatios, ratio: systems === 2 ? totals[0]!.opsPerSec / totals[1]!.opsPerSec : NaN };
}

/**
 * The spread of per-pair ratios as printed: `pairs <min>-<max>, median <m>` (two decimals), or an
 * empty string for no pairs.
 *
 * @param ratios - per-pair ratios, as {@link aggregateSlices} returns them.
 */
export function pairSpread(ratios: readonly number[]): string {
  if (ratios.length === 0) return '';
  return `pairs ${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}, median ${median(ratios).toFixed(2)}, n ${String(ratios.length)}`;
}
