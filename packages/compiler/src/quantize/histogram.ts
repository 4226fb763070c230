import { f32 } from './round.js';

/**
 * numpy histogram primitives, reproduced operation by operation so that the calibrators see the
 * same bins as onnxruntime's `HistogramCollector` (which calls `numpy.histogram` on float32 data).
 * Counts are kept in Float64Array (exact integers up to 2^53).
 */

/**
 * numpy `_get_outer_edges` for an explicit range: an empty range [a, a] becomes [a - 0.5, a + 0.5]
 * (float32 arithmetic because the range values are float32).
 *
 * @example
 * outerEdges(0, 0); // [-0.5, 0.5]
 */
export function outerEdges(first: number, last: number): [number, number] {
  return first === last ? [f32(first - 0.5), f32(last + 0.5)] : [first, last];
}

/**
 * `numpy.linspace(first, last, bins + 1, dtype=float32)` for float32 endpoints: step =
 * (last - first) / bins in float32, edge k = k * step + first (each rounded to float32), the last
 * edge is exactly `last`.
 *
 * @example
 * linspaceFloat32(-1, 1, 4); // Float32Array [-1, -0.5, 0, 0.5, 1]
 */
export function linspaceFloat32(first: number, last: number, bins: number): Float32Array {
  const step = f32(f32(last - first) / bins);
  const edges = new Float32Array(bins + 1);
  for (let k = 0; k < bins; k++) edges[k] = f32(f32(k * step) + first);
  edges[bins] = last;
  return edges;
}

/** A histogram: `counts[k]` values fell in [edges[k], edges[k + 1]) (last bin closed). */
export interface Histogram {
  readonly counts: Float64Array;
  readonly edges: Float32Array;
}

/**
 * `numpy.histogram(data, bins, range=(first, last))` for float32 data and float32 range
 * (`first < last`; use {@link outerEdges} first): values outside the range are dropped; the bin
 * index is `trunc((x - first) / (last - first) * bins)` in float32, then corrected by one against
 * the linspace edges, as numpy's uniform-bin fast path does.
 *
 * @example
 * histogramUniform(new Float32Array([0, 0.5, 1]), 2, 0, 1).counts; // Float64Array [1, 2]
 */
export function histogramUniform(
  data: Float32Array,
  bins: number,
  first: number,
  last: number,
): Histogram {
  const edges = linspaceFloat32(first, last, bins);
  const counts = new Float64Array(bins);
  const denominator = f32(last - first);
  for (let i = 0; i < data.length; i++) {
    const x = data[i] as number;
    if (!(x >= first && x <= last)) continue;
    let k = Math.trunc(f32(f32(f32(x - first) / denominator) * bins));
    if (k === bins) k -= 1;
    if (x < (edges[k] as number)) k -= 1;
    else if (k !== bins - 1 && x >= (edges[k + 1] as number)) k += 1;
    counts[k] = (counts[k] as number) + 1;
  }
  return { counts, edges };
}

/**
 * `numpy.histogram(data, bins=edges)` with explicit increasing edges (numpy's searchsorted path):
 * bin k holds edges[k] <= x < edges[k + 1], the last bin also x == its right edge, values outside
 * [edges[0], edges[last]] are dropped. Edges are compared in float64 as numpy does for float64 edges.
 *
 * @example
 * histogramWithEdges(new Float32Array([0, 1, 2, 3]), [0, 1, 2, 3]); // Float64Array [1, 1, 2]
 */
export function histogramWithEdges(data: Float32Array, edges: ArrayLike<number>): Float64Array {
  const bins = edges.length - 1;
  const counts = new Float64Array(Math.max(bins, 0));
  if (bins < 1) return counts;
  const lo = edges[0] as number;
  const hi = edges[bins] as number;
  for (let i = 0; i < data.length; i++) {
    const x = data[i] as number;
    if (!(x >= lo && x <= hi)) continue;
    let k: number;
    if (x === hi) {
      k = bins - 1;
    } else {
      // Largest k with edges[k] <= x (binary search, edges sorted).
      let a = 0;
      let b = bins;
      while (b - a > 1) {
        const m = (a + b) >> 1;
        if ((edges[m] as number) <= x) a = m;
        else b = m;
      }
      k = a;
    }
    counts[k] = (counts[k] as number) + 1;
  }
  return counts;
}

/**
 * The edges `numpy.arange(start, stop, step)` yields for float32 scalars `start`, `stop`, `step`:
 * float64 output; length `ceil((stop - start) / step)` computed in float32; element 1 is
 * `start + step` rounded to float32, later ones `start + i * (element1 - start)` in float64.
 *
 * @example
 * arangeFromFloat32(1, 2, 0.25); // [1, 1.25, 1.5, 1.75]
 */
export function arangeFromFloat32(start: number, stop: number, step: number): number[] {
  const length = Math.ceil(f32(f32(stop - start) / step));
  if (!(length > 0)) return [];
  const second = f32(start + step);
  const delta = second - start;
  const out = [start];
  if (length > 1) out.push(second);
  for (let i = 2; i < length; i++) out.push(start + i * delta);
  return out;
}

/**
 * numpy float32 floor division `a // b` (`npy_floor_dividef`): fmod-based quotient, snapped to
 * the nearest integral value, in float32.
 *
 * @example
 * floorDivideFloat32(7, 2); // 3
 */
export function floorDivideFloat32(a: number, b: number): number {
  const mod = a % b;
  let div = f32(f32(a - mod) / b);
  if (mod !== 0 && b < 0 !== mod < 0) div = f32(div - 1);
  if (div === 0) return 0; // numpy returns a signed zero; the sign never matters here
  let floor = Math.floor(div);
  if (f32(div - floor) > 0.5) floor = f32(floor + 1);
  return floor;
}
