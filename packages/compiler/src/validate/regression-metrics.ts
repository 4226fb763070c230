import { ValidateError, assertSameLength } from './validate-errors.js';

export interface RegressionMetrics {
  task: 'regression';
  samples: number;
  /** Mean squared error. */
  mse: number;
  /** Mean absolute error. */
  mae: number;
  /** Coefficient of determination, 1 - SSE / SST. */
  r2: number;
}

/**
 * MSE, MAE and R² accumulated sample by sample. The label variance for R² uses Welford's
 * update, so a large evaluation set with a large mean loses no precision (Σy² - n·ȳ² would).
 * R² with constant labels (SST = 0) follows sklearn's force_finite: 1 for a perfect prediction,
 * else 0.
 *
 * @example
 * const acc = new RegressionAccumulator();
 * acc.add(3, 2.5); acc.add(-0.5, 0);
 * acc.metrics().mse; // -> 0.25
 */
export class RegressionAccumulator {
  #n = 0;
  #sumSquaredError = 0;
  #sumAbsError = 0;
  #mean = 0;
  #m2 = 0;

  add(truth: number, predicted: number): void {
    if (!Number.isFinite(truth)) {
      throw new ValidateError('EF_COMPILE_VALIDATE_INPUT', `label ${truth} is not finite`);
    }
    // A NaN prediction makes every error metric NaN on purpose: the gate then fails it.
    const error = predicted - truth;
    this.#sumSquaredError += error * error;
    this.#sumAbsError += Math.abs(error);
    this.#n++;
    const delta = truth - this.#mean;
    this.#mean += delta / this.#n;
    this.#m2 += delta * (truth - this.#mean);
  }

  metrics(): RegressionMetrics {
    const n = this.#n;
    if (n === 0) throw new ValidateError('EF_COMPILE_VALIDATE_EMPTY', 'no samples were counted');
    const sse = this.#sumSquaredError;
    const r2 = this.#m2 === 0 ? (sse === 0 ? 1 : 0) : 1 - sse / this.#m2;
    return { task: 'regression', samples: n, mse: sse / n, mae: this.#sumAbsError / n, r2 };
  }
}

/**
 * Regression metrics of predictions against targets.
 *
 * @example
 * regressionMetrics([3, -0.5, 2, 7], [2.5, 0, 2, 8]);
 * // -> { task: 'regression', samples: 4, mse: 0.375, mae: 0.5, r2: 0.9486... }
 */
export function regressionMetrics(
  truth: readonly number[],
  predicted: readonly number[],
): RegressionMetrics {
  assertSameLength('targets vs predictions', truth, predicted);
  const acc = new RegressionAccumulator();
  truth.forEach((t, i) => acc.add(t, predicted[i]!));
  return acc.metrics();
}
