/**
 * Profiles calibration data into the baseline's histograms ([P-BD-6]): interior quantile edges,
 * the calibration data's own share per bin, mean and std.
 *
 * Quantiles come from a sorted copy: calibration sets are small (at most ~100k values per
 * feature), so an O(n log n) sort is simpler and exact. A streaming, mergeable sketch (t-digest,
 * KLL) would only be worth it for calibration data that does not fit in memory.
 */
import { binIndex, MISSING_BIN } from './bin-counter.js';
import { DriftError } from './drift-errors.js';

/** Quantile bins per feature when the caller does not say (deciles, the usual PSI binning). */
export const DEFAULT_BINS = 10;
/** The protocol caps a histogram at 1024 edges, so 1025 bins. */
export const MAX_BINS = 1025;

/** A histogram as the manifest holds it: interior edges and one share per bin. */
export interface Histogram {
  edges: number[];
  shares: number[];
}

/** A profiled feature: its histogram plus the moments of its calibration values. */
export interface FeatureProfile extends Histogram {
  mean: number;
  /** Population standard deviation (divides by n), as the preprocess `std` is. */
  std: number;
  /** Finite values profiled. */
  count: number;
  /** NaN values skipped (the device counts them apart too, never in a bin). */
  missing: number;
}

export interface ProfileOptions {
  /** Target number of bins (default {@link DEFAULT_BINS}); fewer when values repeat. */
  bins?: number;
}

/**
 * Profiles one feature's calibration values.
 *
 * Edges, with `b` bins and the sorted finite values `s[0..n-1]`:
 * - few distinct values (at most `b`, e.g. one-hot 0/1 or a small integer code): every distinct
 *   value but the smallest is an edge, so each value has its own bin;
 * - otherwise the value at rank `floor(k * n / b)` for k = 1..b-1 (the empirical quantile at
 *   k/b; with no ties exactly `floor(k * n / b)` values fall below it), deduplicated, keeping only
 *   edges above the minimum so that no bin is empty in the calibration data;
 * - a constant feature `c` gets edges `[c, nextUp(c)]`: one bin holding exactly `c` between an
 *   empty underflow and an empty overflow, so any other value on the device shows as drift.
 *
 * NaN values are skipped and counted as `missing`; infinite values are refused.
 *
 * @example
 * profileFeature([0, 1, 1, 0, 1]);
 * // { edges: [1], shares: [0.4, 0.6], mean: 0.6, std: 0.4899, count: 5, missing: 0 }
 * profileFeature(Float64Array.from({ length: 1000 }, (_, i) => i), { bins: 4 }).edges;
 * // [250, 500, 750]
 */
export function profileFeature(
  values: ArrayLike<number>,
  options: ProfileOptions = {},
): FeatureProfile {
  const bins = checkBins(options.bins ?? DEFAULT_BINS);
  const sorted = finiteSorted(values);
  const n = sorted.length;
  const edges = quantileEdges(sorted, bins);
  return {
    edges,
    shares: histogramShares(edges, sorted),
    ...moments(sorted),
    count: n,
    missing: values.length - n,
  };
}

/** What {@link profileOutputs} profiles: predicted classes, or regression outputs. */
export type OutputValues =
  | { kind: 'classes'; predicted: ArrayLike<number>; classCount: number }
  | { kind: 'regression'; values: ArrayLike<number>; bins?: number };

/** The manifest's `baseline.output`. */
export type OutputProfile =
  { kind: 'classes'; shares: number[] } | { kind: 'histogram'; edges: number[]; shares: number[] };

/**
 * Profiles the model's outputs on the calibration data: the share of each predicted class
 * (`classes`; NaN predictions are skipped), or a quantile histogram of regression outputs
 * (`histogram`, binned like {@link profileFeature}).
 *
 * @example
 * profileOutputs({ kind: 'classes', predicted: [0, 0, 1, 2], classCount: 3 });
 * // { kind: 'classes', shares: [0.5, 0.25, 0.25] }
 * profileOutputs({ kind: 'regression', values: [1.5, 2.5, 3.5, 4.5], bins: 2 });
 * // { kind: 'histogram', edges: [3.5], shares: [0.5, 0.5] }
 */
export function profileOutputs(outputs: OutputValues): OutputProfile {
  if (outputs.kind === 'regression') {
    const { edges, shares } = profileFeature(outputs.values, {
      bins: outputs.bins ?? DEFAULT_BINS,
    });
    return { kind: 'histogram', edges, shares };
  }
  const { predicted, classCount } = outputs;
  if (!Number.isInteger(classCount) || classCount < 1 || classCount > MAX_BINS) {
    throw new DriftError(
      'EF_RUNTIME_DRIFT_OPTIONS',
      `classCount must be an integer from 1 to ${MAX_BINS}`,
      {
        classCount,
      },
    );
  }
  const counts = new Float64Array(classCount);
  let n = 0;
  for (let i = 0; i < predicted.length; i++) {
    const y = predicted[i] as number;
    if (Number.isNaN(y)) continue;
    if (!Number.isInteger(y) || y < 0 || y >= classCount) {
      throw new DriftError(
        'EF_RUNTIME_DRIFT_VALUES',
        `predicted class ${i} (${y}) is not an index below ${classCount}`,
        {
          index: i,
          value: y,
          classCount,
        },
      );
    }
    counts[y] = (counts[y] as number) + 1;
    n++;
  }
  if (n === 0) {
    throw new DriftError('EF_RUNTIME_DRIFT_EMPTY', 'no predicted classes to profile', {
      length: predicted.length,
    });
  }
  return { kind: 'classes', shares: Array.from(counts, (c) => c / n) };
}

/**
 * The share of `values` in each bin of `edges` (NaN skipped), using the device's own
 * {@link binIndex} so that the compiler and the agent bin a value the same way.
 *
 * @example
 * histogramShares([1], [0, 1, 1, 0, 1]); // [0.4, 0.6]
 */
export function histogramShares(edges: readonly number[], values: ArrayLike<number>): number[] {
  const counts = new Float64Array(edges.length + 1);
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const bin = binIndex(edges, values[i] as number);
    if (bin === MISSING_BIN) continue;
    counts[bin] = (counts[bin] as number) + 1;
    n++;
  }
  return Array.from(counts, (c) => (n === 0 ? 0 : c / n));
}

/**
 * Checks a bin count (an integer from 1 to {@link MAX_BINS}) and returns it.
 *
 * @example
 * checkBins(10); // 10
 * checkBins(0); // throws DriftError EF_RUNTIME_DRIFT_OPTIONS
 */
export function checkBins(bins: number): number {
  if (!Number.isInteger(bins) || bins < 1 || bins > MAX_BINS) {
    throw new DriftError(
      'EF_RUNTIME_DRIFT_OPTIONS',
      `bins must be an integer from 1 to ${MAX_BINS}`,
      {
        bins,
      },
    );
  }
  return bins;
}

/** The finite values, sorted ascending; NaN skipped; infinities and "no values" refused. */
function finiteSorted(values: ArrayLike<number>): Float64Array {
  const out = new Float64Array(values.length);
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const x = values[i] as number;
    if (Number.isNaN(x)) continue;
    if (!Number.isFinite(x)) {
      throw new DriftError('EF_RUNTIME_DRIFT_VALUES', `value ${i} is ${x}`, { index: i, value: x });
    }
    out[n++] = x;
  }
  if (n === 0) {
    throw new DriftError('EF_RUNTIME_DRIFT_EMPTY', 'no finite values to profile', {
      length: values.length,
    });
  }
  // Float64Array sorts numerically (not as strings like Array.prototype.sort).
  return out.subarray(0, n).sort();
}

function quantileEdges(sorted: Float64Array, bins: number): number[] {
  const n = sorted.length;
  const min = sorted[0] as number;
  const distinct = distinctValues(sorted, bins + 1);
  if (distinct.length === 1) return [min, nextUp(min)];
  if (distinct.length <= bins) return distinct.slice(1);
  const edges: number[] = [];
  for (let k = 1; k < bins; k++) {
    const edge = sorted[Math.floor((k * n) / bins)] as number;
    if (edge > min && edge !== edges[edges.length - 1]) edges.push(edge);
  }
  return edges;
}

/** The distinct values of a sorted array, stopping once there are more than `limit`. */
function distinctValues(sorted: Float64Array, limit: number): number[] {
  const out: number[] = [];
  for (const x of sorted) {
    if (out.length === 0 || x !== out[out.length - 1]) {
      out.push(x);
      if (out.length > limit) break;
    }
  }
  return out;
}

/** Mean and population std, two-pass (numerically safer than sum of squares). */
function moments(values: Float64Array): { mean: number; std: number } {
  let sum = 0;
  for (const x of values) sum += x;
  const mean = sum / values.length;
  let squares = 0;
  for (const x of values) squares += (x - mean) * (x - mean);
  return { mean, std: Math.sqrt(squares / values.length) };
}

/** The smallest double above a finite `x` (one unit in the last place up). */
function nextUp(x: number): number {
  if (x === 0) return Number.MIN_VALUE;
  const f = new Float64Array([x]);
  const bits = new BigInt64Array(f.buffer);
  bits[0] = (bits[0] as bigint) + (x > 0 ? 1n : -1n);
  return f[0] as number;
}
