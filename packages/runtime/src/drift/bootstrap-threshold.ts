/**
 * Per-feature drift thresholds for the device's window size (DESIGN section 4: "bootstrap of the
 * baseline: mean + 3 sigma"). Rows drawn from the calibration data itself are, by construction,
 * not drifted, so the scores of such bootstrap windows are pure sampling noise, and a live window
 * scoring above their mean + 3 sigma is unlikely to be noise.
 *
 * Both sides of the comparison are noisy on the device: the live window (windowSize rows) and
 * the baseline shares themselves (estimated from n calibration rows). Each replicate therefore
 * resamples both: a reference of n rows, whose shares stand in for the baseline, and a window of
 * windowSize rows scored against it. PSI's noise is roughly (bins - 1) * (1/windowSize + 1/n);
 * resampling the window only would leave out the 1/n term, and with n = windowSize = 1000 a
 * third of clean windows then crossed the threshold in our simulation (about 1-2% with both).
 */
import { binIndex, MISSING_BIN } from './bin-counter.js';
import { DriftError } from './drift-errors.js';
import { binnedKs, jensenShannon, psi } from './drift-scores.js';
import { mulberry32 } from './seeded-random.js';

/** Bootstrap windows per feature. 200 pins mean and sigma down to a few percent. */
export const DEFAULT_BOOTSTRAP_SAMPLES = 200;
/** Sigmas above the bootstrap mean (DESIGN section 4). */
export const DEFAULT_THRESHOLD_SIGMAS = 3;
/** Seed used when the caller gives none, so builds stay reproducible by default. */
export const DEFAULT_BOOTSTRAP_SEED = 0;

export interface BootstrapOptions {
  /** Rows per bootstrap window: the device's window size. */
  windowSize: number;
  /** Bootstrap windows (default {@link DEFAULT_BOOTSTRAP_SAMPLES}, at least 2). */
  samples?: number;
  /** mulberry32 seed (default {@link DEFAULT_BOOTSTRAP_SEED}). */
  seed?: number;
  /** Sigmas above the mean (default {@link DEFAULT_THRESHOLD_SIGMAS}). */
  sigmas?: number;
  /**
   * Resample the reference (the calibration set) in each replicate too (default true, see the
   * file comment). false scores windows against the fixed `shares`, which is tighter and only
   * right when the calibration set is much larger than the window.
   */
  resampleReference?: boolean;
}

/** A feature's thresholds, the manifest's `threshold` (all three filled). */
export interface DriftThreshold {
  psi: number;
  js: number;
  ks: number;
}

/**
 * The bin of each calibration value (NaN values left out), computed once so the bootstrap
 * resamples small integers instead of re-binning values.
 *
 * @example
 * calibrationBins([1, 2], [0.5, 1.5, NaN, 2.5]); // Int32Array [0, 1, 2]
 */
export function calibrationBins(edges: readonly number[], values: ArrayLike<number>): Int32Array {
  const bins = new Int32Array(values.length);
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const bin = binIndex(edges, values[i] as number);
    if (bin !== MISSING_BIN) bins[n++] = bin;
  }
  return bins.slice(0, n);
}

/**
 * Thresholds for one feature from its calibration bins (see {@link calibrationBins}). Each of
 * `samples` replicates (mulberry32, `seed`) draws with replacement a reference of `bins.length`
 * rows and a window of `windowSize` rows, and scores the window's counts against the
 * reference's shares (or against `shares` when `resampleReference` is false) with PSI (smoothed
 * as on the device), JS and binned KS. Per score it returns `mean + sigmas * sd`, sd being the
 * sample standard deviation over replicates (divides by samples - 1).
 * Cost: O(samples * (n + windowSize + bins)) for n calibration values.
 *
 * @example
 * const bins = calibrationBins(profile.edges, values);
 * bootstrapThreshold(bins, profile.shares, { windowSize: 500, seed: 7 });
 * // { psi: 0.05, js: 0.012, ks: 0.09 } (about; exact and repeatable for a given seed)
 */
export function bootstrapThreshold(
  bins: ArrayLike<number>,
  shares: readonly number[],
  options: BootstrapOptions,
): DriftThreshold {
  const { windowSize, samples, seed, sigmas, resampleReference } = checkOptions(options);
  const n = bins.length;
  if (n === 0) {
    throw new DriftError('EF_RUNTIME_DRIFT_EMPTY', 'no calibration values to bootstrap', {});
  }
  const random = mulberry32(seed);
  const reference = new Float64Array(shares.length);
  const counts = new Float64Array(shares.length);
  const scores = {
    psi: new Float64Array(samples),
    js: new Float64Array(samples),
    ks: new Float64Array(samples),
  };
  for (let s = 0; s < samples; s++) {
    let expected: ArrayLike<number> = shares;
    if (resampleReference) {
      drawCounts(bins, n, random, reference);
      for (let i = 0; i < reference.length; i++) reference[i] = (reference[i] as number) / n;
      expected = reference;
    }
    drawCounts(bins, windowSize, random, counts);
    scores.psi[s] = psi(expected, counts);
    scores.js[s] = jensenShannon(expected, counts);
    scores.ks[s] = binnedKs(expected, counts);
  }
  return {
    psi: meanPlusSigmas(scores.psi, sigmas),
    js: meanPlusSigmas(scores.js, sigmas),
    ks: meanPlusSigmas(scores.ks, sigmas),
  };
}

/** Bin counts of `size` calibration rows drawn uniformly with replacement, into `counts`. */
function drawCounts(
  bins: ArrayLike<number>,
  size: number,
  random: () => number,
  counts: Float64Array,
): void {
  counts.fill(0);
  const n = bins.length;
  for (let j = 0; j < size; j++) {
    const bin = bins[Math.floor(random() * n)] as number;
    counts[bin] = (counts[bin] as number) + 1;
  }
}

function meanPlusSigmas(values: Float64Array, sigmas: number): number {
  let sum = 0;
  for (const x of values) sum += x;
  const mean = sum / values.length;
  let squares = 0;
  for (const x of values) squares += (x - mean) * (x - mean);
  return mean + sigmas * Math.sqrt(squares / (values.length - 1));
}

function checkOptions(options: BootstrapOptions): Required<BootstrapOptions> {
  const {
    windowSize,
    samples = DEFAULT_BOOTSTRAP_SAMPLES,
    seed = DEFAULT_BOOTSTRAP_SEED,
    sigmas = DEFAULT_THRESHOLD_SIGMAS,
    resampleReference = true,
  } = options;
  const problems: string[] = [];
  if (!Number.isInteger(windowSize) || windowSize < 1)
    problems.push('windowSize must be a positive integer');
  if (!Number.isInteger(samples) || samples < 2) problems.push('samples must be an integer >= 2');
  if (!Number.isInteger(seed)) problems.push('seed must be an integer');
  if (!(Number.isFinite(sigmas) && sigmas >= 0))
    problems.push('sigmas must be a finite number >= 0');
  if (problems.length > 0) {
    throw new DriftError('EF_RUNTIME_DRIFT_OPTIONS', problems.join('; '), {
      windowSize,
      samples,
      seed,
      sigmas,
    });
  }
  return { windowSize, samples, seed, sigmas, resampleReference };
}
