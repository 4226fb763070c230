import {
  assertPositiveInteger,
  calibrationEmpty,
  type CalibrationRange,
  type Calibrator,
} from './calibration-data.js';
import { klDivergenceFloat32, smoothDistribution } from './kl-divergence.js';
import { QuantizeError } from './quantize-errors.js';
import { SignedHistogram, type HistogramState } from './signed-histogram.js';
import { f32 } from './round.js';

/** Options of {@link EntropyCalibrator}; defaults are onnxruntime's (`CalibNumBins` etc.). */
export interface EntropyCalibratorOptions {
  /**
   * Initial histogram bins over [-t, t]. Default 128. NOTE: with onnxruntime's defaults
   * (128 / 128) and one batch there is a single candidate (the whole histogram), so the range
   * equals min/max; use more bins (e.g. 2048) to let the KL search clip outliers.
   */
  readonly numBins?: number;
  /** Bins of the quantized candidate distribution. Default 128. */
  readonly numQuantizedBins?: number;
}

/**
 * Entropy (KL divergence) calibration as onnxruntime's `EntropyCalibrater`
 * (`HistogramCollector.collect_value` + `get_entropy_threshold`, after TensorRT's 8-bit
 * calibration): the threshold whose clipped-and-requantized distribution is closest to the
 * original in KL divergence. Memory is O(bins).
 *
 * @example
 * const cal = new EntropyCalibrator({ numBins: 2048 });
 * for (const batch of activations) cal.collect(batch);
 * const { rmin, rmax } = cal.computeRange(); // outliers clipped
 */
export class EntropyCalibrator implements Calibrator {
  private readonly numQuantizedBins: number;
  private readonly histogram: SignedHistogram;

  constructor(options: EntropyCalibratorOptions = {}) {
    const numBins = options.numBins ?? 128;
    this.numQuantizedBins = options.numQuantizedBins ?? 128;
    assertPositiveInteger('numBins', numBins);
    assertPositiveInteger('numQuantizedBins', this.numQuantizedBins);
    if (Math.floor(this.numQuantizedBins / 2) > Math.floor(numBins / 2)) {
      throw new QuantizeError(
        'EF_COMPILE_CALIBRATION_OPTIONS',
        `numQuantizedBins (${this.numQuantizedBins}) must not exceed numBins (${numBins})`,
        { numBins, numQuantizedBins: this.numQuantizedBins },
      );
    }
    this.histogram = new SignedHistogram(numBins);
  }

  collect(tensor: Float32Array): void {
    this.histogram.add(tensor);
  }

  computeRange(): CalibrationRange {
    const state = this.histogram.snapshot();
    if (state === undefined) throw calibrationEmpty('EntropyCalibrator');
    const { rmin, rmax } = entropyThreshold(state, this.numQuantizedBins);
    return { rmin, rmax };
  }

  /** The collected histogram (for reports and tests), or undefined before any data. */
  snapshot(): HistogramState | undefined {
    return this.histogram.snapshot();
  }
}

/** Result of {@link entropyThreshold}: the range and the KL divergence of every candidate. */
export interface EntropyThreshold extends CalibrationRange {
  /** KL divergence (float32 values) per candidate i = numQuantizedBins/2 ... bins/2. */
  readonly klDivergence: Float64Array;
}

/**
 * onnxruntime `HistogramCollector.get_entropy_threshold` on a histogram over [-t, t] with `n`
 * bins (zero bin z = n // 2, h = numQuantizedBins // 2). For i = h ... z:
 * 1. candidate bins [z - i, min(z + i + 1, n)) — one more bin on the right than on the left — and
 *    thresholds (edges[z - i], edges[min(z + i + 1, n)]);
 * 2. reference p = those counts with all outside counts added to its first/last bin;
 * 3. q: the candidate counts (without outliers) merged into numQuantizedBins groups of
 *    m = size // numQuantizedBins bins (the remainder joins the last group), each group's sum
 *    divided by the number of non-empty p bins in the group and TRUNCATED to an integer
 *    (onnxruntime stores q as int64), written to every bin of the group (empty ones too), bins
 *    past the last whole group stay 0;
 * 4. both smoothed ({@link smoothDistribution}); KL(p || q) in float32 ({@link klDivergenceFloat32}).
 * The first candidate with the smallest KL wins; its thresholds are clipped to the data min/max.
 *
 * @example
 * entropyThreshold(calibrator.snapshot()!, 128); // { rmin, rmax, klDivergence }
 */
export function entropyThreshold(
  state: HistogramState,
  numQuantizedBins: number,
): EntropyThreshold {
  const { counts, edges } = state;
  const bins = counts.length;
  const zeroBin = Math.floor(bins / 2);
  const halfQuantized = Math.floor(numQuantizedBins / 2);
  const candidates = zeroBin - halfQuantized + 1;
  if (candidates < 1) {
    throw new QuantizeError(
      'EF_COMPILE_CALIBRATION_OPTIONS',
      `the histogram has ${bins} bins, fewer than numQuantizedBins (${numQuantizedBins})`,
      { bins, numQuantizedBins },
    );
  }
  const prefix = new Float64Array(bins + 1);
  for (let k = 0; k < bins; k++) prefix[k + 1] = (prefix[k] as number) + (counts[k] as number);
  const total = prefix[bins] as number;
  const kl = new Float64Array(candidates);
  let best = 0;
  for (let c = 0; c < candidates; c++) {
    const i = halfQuantized + c;
    const start = zeroBin - i;
    const end = Math.min(zeroBin + i + 1, bins);
    const p = candidateReference(
      counts,
      start,
      end,
      prefix[start] as number,
      total - (prefix[end] as number),
    );
    const q = candidateQuantized(counts, start, end, p, numQuantizedBins);
    const ps = smoothDistribution(p);
    const qs = smoothDistribution(q);
    kl[c] = ps === undefined || qs === undefined ? Infinity : f32(klDivergenceFloat32(ps, qs));
    if ((kl[c] as number) < (kl[best] as number)) best = c;
  }
  const i = halfQuantized + best;
  let rmin = edges[zeroBin - i] as number;
  let rmax = edges[Math.min(zeroBin + i + 1, bins)] as number;
  if (rmin < state.min) rmin = state.min;
  if (rmax > state.max) rmax = state.max;
  return { rmin, rmax, klDivergence: kl };
}

function candidateReference(
  counts: Float64Array,
  start: number,
  end: number,
  leftOutliers: number,
  rightOutliers: number,
): Float64Array {
  const p = counts.slice(start, end);
  p[0] = (p[0] as number) + leftOutliers;
  p[p.length - 1] = (p[p.length - 1] as number) + rightOutliers;
  return p;
}

function candidateQuantized(
  counts: Float64Array,
  start: number,
  end: number,
  p: Float64Array,
  numQuantizedBins: number,
): Float64Array {
  const size = end - start;
  const merged = Math.floor(size / numQuantizedBins);
  const q = new Float64Array(size);
  for (let g = 0; g < numQuantizedBins; g++) {
    const from = g * merged;
    const to = from + merged;
    let sum = 0;
    for (let k = from; k < to; k++) sum += counts[start + k] as number;
    if (g === numQuantizedBins - 1) {
      for (let k = numQuantizedBins * merged; k < size; k++) sum += counts[start + k] as number;
    }
    let norm = 0;
    for (let k = from; k < to; k++) if (p[k] !== 0) norm += 1;
    if (norm !== 0) q.fill(Math.trunc(sum / norm), from, to);
  }
  return q;
}
