import { AbsHistogram } from './abs-histogram.js';
import {
  assertPositiveInteger,
  calibrationEmpty,
  type CalibrationRange,
  type Calibrator,
} from './calibration-data.js';
import { QuantizeError } from './quantize-errors.js';
import { SignedHistogram, type HistogramState } from './signed-histogram.js';

/** Options of {@link PercentileCalibrator}; defaults are those of onnxruntime's `create_calibrator`. */
export interface PercentileCalibratorOptions {
  /** Percentage of the values kept inside the range, in [0, 100]. Default 99.999. */
  readonly percentile?: number;
  /** Initial histogram bins. Default 2048. */
  readonly numBins?: number;
  /**
   * Histogram of |x| and a [-t, t] range (then clipped to the data's min/max). Default true, as
   * `create_calibrator`/`quantize_static` (the `PercentileCalibrater` class itself defaults to false).
   */
  readonly symmetric?: boolean;
}

/**
 * Percentile calibration (onnxruntime `PercentileCalibrater`, `HistogramCollector.compute_percentile`):
 * a histogram (of |x| when symmetric, of x over [-t, t] otherwise) whose cumulative distribution
 * picks the thresholds. Memory is O(bins).
 *
 * @example
 * const cal = new PercentileCalibrator({ percentile: 99 });
 * cal.collect(data);
 * const { rmin, rmax } = cal.computeRange();
 */
export class PercentileCalibrator implements Calibrator {
  private readonly percentile: number;
  private readonly symmetric: boolean;
  private readonly histogram: AbsHistogram | SignedHistogram;

  constructor(options: PercentileCalibratorOptions = {}) {
    this.percentile = options.percentile ?? 99.999;
    if (!(this.percentile >= 0 && this.percentile <= 100)) {
      throw new QuantizeError(
        'EF_COMPILE_CALIBRATION_OPTIONS',
        `percentile must be in [0, 100], got ${this.percentile}`,
        { percentile: this.percentile },
      );
    }
    const numBins = options.numBins ?? 2048;
    assertPositiveInteger('numBins', numBins);
    this.symmetric = options.symmetric ?? true;
    this.histogram = this.symmetric ? new AbsHistogram(numBins) : new SignedHistogram(numBins);
  }

  collect(tensor: Float32Array): void {
    this.histogram.add(tensor);
  }

  computeRange(): CalibrationRange {
    const state = this.histogram.snapshot();
    if (state === undefined) throw calibrationEmpty('PercentileCalibrator');
    return percentileRange(state, this.percentile, this.symmetric);
  }

  /** The collected histogram (for reports and tests), or undefined before any data. */
  snapshot(): HistogramState | undefined {
    return this.histogram.snapshot();
  }
}

/**
 * onnxruntime `compute_percentile` on a collected histogram. cdf = cumsum(counts / total) in
 * float64; `searchsorted` (first index with cdf >= target) selects a bin and its LEFT edge is the
 * threshold:
 * - symmetric (|x| histogram): t = edges[idx(p / 100)], range [-t, t];
 * - otherwise: cut (100 - p) / 200 on each side: [edges[idx(cut)], edges[idx(1 - cut)]].
 * Each side is then clipped to the data's min/max, so a symmetric range can come out asymmetric
 * (e.g. non-negative data gives [min, t]) — `computeQuantParams` symmetrizes again when asked.
 *
 * @example
 * percentileRange({ counts, edges, min, max }, 99.999, true); // { rmin, rmax }
 */
export function percentileRange(
  state: HistogramState,
  percentile: number,
  symmetric: boolean,
): CalibrationRange {
  const { counts, edges } = state;
  let total = 0;
  for (const c of counts) total += c;
  const cdf = new Float64Array(counts.length);
  let running = 0;
  counts.forEach((c, k) => {
    running += c / total;
    cdf[k] = running;
  });
  const edgeAt = (target: number): number => edges[searchSortedLeft(cdf, target)] as number;
  let rmin: number;
  let rmax: number;
  if (symmetric) {
    const t = edgeAt(percentile / 100);
    rmin = -t;
    rmax = t;
  } else {
    const cut = (100 - percentile) / 200;
    rmin = edgeAt(cut);
    rmax = edgeAt(1 - cut);
  }
  if (rmin < state.min) rmin = state.min;
  if (rmax > state.max) rmax = state.max;
  return { rmin, rmax };
}

/** numpy `searchsorted(sorted, v, side='left')`: first index with sorted[i] >= v (length if none). */
function searchSortedLeft(sorted: Float64Array, v: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] as number) < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
