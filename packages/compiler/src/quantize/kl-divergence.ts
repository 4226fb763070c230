import { pairwiseSumFloat32 } from './float32-sum.js';
import { f32 } from './round.js';

/** Mass moved onto empty bins by {@link smoothDistribution} (onnxruntime default eps). */
const SMOOTHING_EPS = 0.0001;

/**
 * onnxruntime `quant_utils.smooth_distribution` (after MXNet): every empty bin gets `eps`, and
 * `eps * zeros / nonzeros` is taken off every non-empty bin, in float32, so that KL(p || q) is
 * finite. Returns undefined when all bins are empty (onnxruntime returns None and scores the
 * candidate +Infinity) and also when onnxruntime would fail its own assertions (the taken-off
 * mass reaches a whole count: more than 10000 empty bins per non-empty one); such a candidate is
 * scored +Infinity too instead of aborting calibration.
 *
 * @example
 * smoothDistribution([0, 2, 2]); // Float32Array [0.0001, 1.99995, 1.99995]
 */
export function smoothDistribution(p: ArrayLike<number>): Float32Array | undefined {
  let zeros = 0;
  for (let i = 0; i < p.length; i++) if (p[i] === 0) zeros += 1;
  const nonzeros = p.length - zeros;
  if (nonzeros === 0) return undefined;
  const eps1 = (SMOOTHING_EPS * zeros) / nonzeros;
  if (eps1 >= 1) return undefined;
  const out = new Float32Array(p.length);
  const give = f32(SMOOTHING_EPS);
  const take = f32(-eps1);
  for (let i = 0; i < p.length; i++) {
    const v = p[i] as number;
    out[i] = v === 0 ? give : f32(f32(v) + take);
    if (!((out[i] as number) > 0)) return undefined;
  }
  return out;
}

/**
 * KL(p || q) in float32 as onnxruntime's `calibrate.entropy` (a scipy.stats.entropy stand-in):
 * p and q are normalised by their numpy float32 sums, each term is `p * log(p / q)` (0 where p is
 * 0, +Infinity where q is 0 and p is not), and the terms are summed pairwise in float32. `log` is
 * the float64 log rounded to float32, which can differ from numpy's float32 log by one ulp.
 *
 * @example
 * klDivergenceFloat32(new Float32Array([1, 1]), new Float32Array([1, 1])); // 0
 */
export function klDivergenceFloat32(p: Float32Array, q: Float32Array): number {
  const pSum = pairwiseSumFloat32(p);
  const qSum = pairwiseSumFloat32(q);
  const terms = new Float32Array(p.length);
  for (let i = 0; i < p.length; i++) {
    const pk = f32((p[i] as number) / pSum);
    const qk = f32((q[i] as number) / qSum);
    if (pk === 0 && qk >= 0) terms[i] = 0;
    else if (!(pk > 0 && qk > 0)) terms[i] = Infinity;
    else terms[i] = f32(pk * f32(Math.log(f32(pk / qk))));
  }
  return pairwiseSumFloat32(terms);
}
