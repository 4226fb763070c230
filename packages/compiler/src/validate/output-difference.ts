import { ValidateError, assertSameLength } from './validate-errors.js';

/** Numeric tensor data as models return it (typed arrays; int64 as bigint) or plain numbers. */
export type NumericData = ArrayLike<number> | ArrayLike<bigint>;

/**
 * The fraction of samples on which two models predict the same class (top-1 agreement).
 *
 * @example
 * topOneAgreement([0, 1, 2, 2], [0, 1, 1, 2]); // -> 0.75
 */
export function topOneAgreement(a: readonly number[], b: readonly number[]): number {
  assertSameLength('top-1 agreement', a, b);
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return same / a.length;
}

/**
 * The largest |a[i] - b[i]| over two output tensors of the same size. NaN is not allowed to
 * hide: a NaN on one side only counts as an infinite difference (NaN on both sides as 0), since
 * `Math.max` with NaN or a `>` test would drop it silently.
 *
 * @example
 * maxAbsDifference(Float32Array.of(1, 2, 3), Float32Array.of(1, 2.5, 2)); // -> 1
 */
export function maxAbsDifference(a: NumericData, b: NumericData): number {
  const diff = new OutputDifference();
  diff.add(a, b);
  return diff.max;
}

/**
 * Max and mean absolute difference between two models' outputs, accumulated batch by batch.
 *
 * @example
 * const diff = new OutputDifference();
 * diff.add(fp32Out.data, candidateOut.data);
 * diff.max; diff.mean;
 */
export class OutputDifference {
  #max = 0;
  #sum = 0;
  #count = 0;

  add(a: NumericData, b: NumericData): void {
    if (a.length !== b.length) assertSameLength('output values', a, b);
    for (let i = 0; i < a.length; i++) {
      const x = toNumber(a[i]!);
      const y = toNumber(b[i]!);
      const d = Number.isNaN(x) && Number.isNaN(y) ? 0 : Math.abs(x - y);
      const safe = Number.isNaN(d) ? Infinity : d;
      if (safe > this.#max) this.#max = safe;
      this.#sum += safe;
    }
    this.#count += a.length;
  }

  /** Largest absolute difference so far (0 before any value). */
  get max(): number {
    return this.#max;
  }

  /** Mean absolute difference so far (0 before any value). */
  get mean(): number {
    return this.#count === 0 ? 0 : this.#sum / this.#count;
  }
}

function toNumber(v: number | bigint): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  throw new ValidateError('EF_COMPILE_VALIDATE_OUTPUT', `output value ${String(v)} is not numeric`);
}
