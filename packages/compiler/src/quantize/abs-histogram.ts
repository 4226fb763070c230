import { batchExtremes } from './calibration-data.js';
import {
  arangeFromFloat32,
  histogramUniform,
  histogramWithEdges,
  outerEdges,
} from './histogram.js';
import type { HistogramState } from './signed-histogram.js';
import { f32 } from './round.js';

/**
 * Histogram of |x|: onnxruntime `HistogramCollector.collect_absolute_value` (symmetric percentile
 * calibration). Memory is O(bins).
 *
 * - First batch: `numBins` uniform bins over [min |x|, max |x|] of that batch.
 * - Later batches: if their max |x| passes the last edge, bins of the same width are appended
 *   (`numpy.arange(last + width, max + width, width)`, which may add one bin past the max); the
 *   batch is binned with the (float64) edges and the old counts added to the first bins. As in
 *   onnxruntime, later |x| below the first batch's min |x| fall outside the edges and are dropped.
 * - The signed min/max of all data are tracked; percentile thresholds are clipped to them.
 */
export class AbsHistogram {
  private counts: Float64Array | undefined;
  private edges: Float32Array | undefined;
  private min = 0;
  private max = 0;

  constructor(private readonly numBins: number) {}

  /** Adds one batch; empty batches are ignored. */
  add(tensor: Float32Array): void {
    if (tensor.length === 0) return;
    const { min, max } = batchExtremes(tensor);
    const abs = tensor.map(Math.abs);
    let absMin = Infinity;
    let absMax = -Infinity;
    for (const v of abs) {
      if (v < absMin) absMin = v;
      if (v > absMax) absMax = v;
    }
    if (this.counts === undefined || this.edges === undefined) {
      const h = histogramUniform(abs, this.numBins, ...outerEdges(absMin, absMax));
      this.counts = h.counts;
      this.edges = h.edges;
      this.min = min;
      this.max = max;
      return;
    }
    const oldCounts = this.counts;
    let edges: ArrayLike<number> = this.edges;
    const last = this.edges[this.edges.length - 1] as number;
    if (absMax > last) {
      const width = f32((this.edges[1] as number) - (this.edges[0] as number));
      const extra = arangeFromFloat32(f32(last + width), f32(absMax + width), width);
      edges = [...this.edges, ...extra];
    }
    const counts = histogramWithEdges(abs, edges);
    for (let k = 0; k < oldCounts.length; k++)
      counts[k] = (counts[k] as number) + (oldCounts[k] as number);
    this.counts = counts;
    this.edges = Float32Array.from(edges);
    this.min = Math.min(this.min, min);
    this.max = Math.max(this.max, max);
  }

  /** The current histogram and signed extremes, or undefined before the first non-empty batch. */
  snapshot(): HistogramState | undefined {
    if (this.counts === undefined || this.edges === undefined) return undefined;
    return { counts: this.counts, edges: this.edges, min: this.min, max: this.max };
  }
}
