import { f32 } from './round.js';

/** numpy's pairwise-summation block size (`PW_BLOCKSIZE`). */
const BLOCK = 128;

/**
 * Sum of `values[start, end)` in float32 exactly as `numpy.sum` of a contiguous float32 array
 * (pairwise summation: 8 accumulators within blocks of <= 128, halves above). onnxruntime's
 * entropy calibrator normalises and sums KL terms with it, so emulating it keeps the argmin over
 * candidate thresholds the same as onnxruntime's.
 *
 * @example
 * pairwiseSumFloat32(new Float32Array([0.1, 0.2, 0.3])); // 0.6000000238418579 (float32)
 */
export function pairwiseSumFloat32(
  values: ArrayLike<number>,
  start = 0,
  end = values.length,
): number {
  const n = end - start;
  if (n < 8) {
    let sum = 0;
    for (let i = start; i < end; i++) sum = f32(sum + (values[i] as number));
    return sum;
  }
  if (n <= BLOCK) {
    const r = new Float32Array(8);
    for (let j = 0; j < 8; j++) r[j] = values[start + j] as number;
    let i = 8;
    for (; i < n - (n % 8); i += 8) {
      for (let j = 0; j < 8; j++) r[j] = f32((r[j] as number) + (values[start + i + j] as number));
    }
    const at = (j: number): number => r[j] as number;
    let sum = f32(
      f32(f32(at(0) + at(1)) + f32(at(2) + at(3))) + f32(f32(at(4) + at(5)) + f32(at(6) + at(7))),
    );
    for (; i < n; i++) sum = f32(sum + (values[start + i] as number));
    return sum;
  }
  let half = Math.floor(n / 2);
  half -= half % 8;
  return f32(
    pairwiseSumFloat32(values, start, start + half) + pairwiseSumFloat32(values, start + half, end),
  );
}
