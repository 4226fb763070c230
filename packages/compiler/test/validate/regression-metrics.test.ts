import { describe, expect, it } from 'vitest';

import { RegressionAccumulator, regressionMetrics } from '../../src/validate/regression-metrics.js';

describe('regressionMetrics (golden values computed by hand)', () => {
  it('MSE, MAE and R² of the sklearn documentation example', () => {
    // errors -0.5, 0.5, 0, 1: SSE 1.5, MSE 0.375, MAE 0.5
    // mean 2.875, SST 0.015625 + 11.390625 + 0.765625 + 17.015625 = 29.1875
    const m = regressionMetrics([3, -0.5, 2, 7], [2.5, 0, 2, 8]);
    expect(m.samples).toBe(4);
    expect(m.mse).toBeCloseTo(0.375, 14);
    expect(m.mae).toBeCloseTo(0.5, 14);
    expect(m.r2).toBeCloseTo(1 - 1.5 / 29.1875, 14);
    expect(m.r2).toBeCloseTo(0.948608, 6);
  });

  it('R² is 1 for a perfect fit and negative for worse than the mean', () => {
    expect(regressionMetrics([1, 2, 3], [1, 2, 3]).r2).toBe(1);
    // predicting [3, 2, 1] for [1, 2, 3]: SSE 8, SST 2 -> R² -3
    expect(regressionMetrics([1, 2, 3], [3, 2, 1]).r2).toBeCloseTo(-3, 14);
  });

  it('R² with constant targets follows sklearn force_finite: 1 if perfect, else 0', () => {
    expect(regressionMetrics([5, 5], [5, 5]).r2).toBe(1);
    expect(regressionMetrics([5, 5], [4, 6]).r2).toBe(0);
  });

  it('keeps precision with a large target mean (Welford, not Σy² - n·ȳ²)', () => {
    const truth = [1e9 + 1, 1e9 + 2, 1e9 + 3];
    const m = regressionMetrics(truth, [1e9 + 2, 1e9 + 2, 1e9 + 2]);
    // SSE 2, SST 2 -> R² 0
    expect(m.r2).toBeCloseTo(0, 9);
  });

  it('a NaN prediction makes the errors NaN instead of being skipped', () => {
    const acc = new RegressionAccumulator();
    acc.add(1, Number.NaN);
    expect(acc.metrics().mse).toBeNaN();
  });
});
