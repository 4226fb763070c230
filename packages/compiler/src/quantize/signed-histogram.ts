import { batchExtremes } from './calibration-data.js';
import { floorDivideFloat32, histogramUniform, outerEdges, type Histogram } from './histogram.js';
import { f32 } from './round.js';

/** A histogram snapshot with the extremes of everything collected. */
export interface HistogramState extends Histogram {
  readonly min: number;
  readonly max: number;
}

/**
 * Histogram of signed values over [-threshold, threshold], grown symmetrically when a batch goes
 * beyond it: onnxruntime `HistogramCollector.collect_value` + `merge_histogram` (entropy
 * calibration, and percentile when not symmetric). Memory is O(bins).
 *
 * - First batch: `numBins` bins over [-t, t], t = max(|min|, |max|) of the batch.
 * - A batch within the current threshold: binned with the current edges and added.
 * - A batch beyond it: `half = int((t_new - t_old) // stride + 1)` bins are added on each side
 *   (stride = 2 t_old / bins), the threshold becomes `half * stride + t_old`, the batch is binned
 *   over the new range and the old counts are added to the middle bins (their edges shift by
 *   float32 rounding, as in onnxruntime).
 */
export class SignedHistogram {
  private counts: Float64Array | undefined;
  private edges: Float32Array | undefined;
  private threshold = 0;
  private min = 0;
  private max = 0;

  constructor(private readonly numBins: number) {}

  /** Adds one batch; empty batches are ignored. */
  add(tensor: Float32Array): void {
    if (tensor.length === 0) return;
    const { min, max } = batchExtremes(tensor);
    const threshold = Math.max(Math.abs(min), Math.abs(max));
    if (this.counts === undefined || this.edges === undefined) {
      this.store(histogramUniform(tensor, this.numBins, ...outerEdges(-threshold, threshold)));
      this.threshold = threshold;
      this.min = min;
      this.max = max;
      return;
    }
    this.merge(tensor, threshold, this.counts);
    this.min = Math.min(this.min, min);
    this.max = Math.max(this.max, max);
  }

  /** The current histogram and extremes, or undefined before the first non-empty batch. */
  snapshot(): HistogramState | undefined {
    if (this.counts === undefined || this.edges === undefined) return undefined;
    return { counts: this.counts, edges: this.edges, min: this.min, max: this.max };
  }

  private merge(tensor: Float32Array, threshold: number, old: Float64Array): void {
    const oldThreshold = this.threshold;
    const oldBins = old.length;
    if (threshold <= oldThreshold) {
      const { counts } = histogramUniform(
        tensor,
        oldBins,
        ...outerEdges(-oldThreshold, oldThreshold),
      );
      for (let k = 0; k < oldBins; k++) counts[k] = (counts[k] as number) + (old[k] as number);
      this.counts = counts;
      return;
    }
    if (oldThreshold === 0) {
      const next = histogramUniform(tensor, oldBins, ...outerEdges(-threshold, threshold));
      for (let k = 0; k < oldBins; k++)
        next.counts[k] = (next.counts[k] as number) + (old[k] as number);
      this.store(next);
      this.threshold = threshold;
      return;
    }
    const oldStride = f32(f32(2 * oldThreshold) / oldBins);
    const half = Math.trunc(f32(floorDivideFloat32(f32(threshold - oldThreshold), oldStride) + 1));
    const bins = oldBins + 2 * half;
    const grown = f32(f32(half * oldStride) + oldThreshold);
    const next = histogramUniform(tensor, bins, ...outerEdges(-grown, grown));
    for (let k = 0; k < oldBins; k++) {
      next.counts[half + k] = (next.counts[half + k] as number) + (old[k] as number);
    }
    this.store(next);
    this.threshold = grown;
  }

  private store(h: Histogram): void {
    this.counts = h.counts;
    this.edges = h.edges;
  }
}
