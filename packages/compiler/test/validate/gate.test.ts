import { describe, expect, it } from 'vitest';

import { gate } from '../../src/validate/gate.js';
import { ValidateError } from '../../src/validate/validate-errors.js';

describe('gate: classification (accuracy drop in points, default 1.0)', () => {
  it('passes a drop of exactly 1 point (0.95 -> 0.94, which computes as 0.0100000000000000009)', () => {
    const r = gate({ task: 'classification', fp32Metric: 0.95, candidateMetric: 0.94 });
    expect(r).toMatchObject({ passed: true, metric: 'accuracy', fp32: 0.95, candidate: 0.94 });
    expect(r.delta).toBeCloseTo(-0.01, 12);
    expect(r.limit).toBeCloseTo(0.94, 12);
    expect(r.message).toBe(
      'accuracy 95.00% -> 94.00% (-1.00 points), within the allowed drop of 1.00 point: passed',
    );
  });

  it('fails a drop just over 1 point', () => {
    const r = gate({ task: 'classification', fp32Metric: 0.95, candidateMetric: 0.9399 });
    expect(r.passed).toBe(false);
    expect(r.message).toBe(
      'accuracy dropped 1.01 points (95.00% -> 93.99%), more than the allowed 1.00 point: failed',
    );
  });

  it('passes an improvement and an unchanged accuracy with maxDrop 0', () => {
    expect(
      gate({ task: 'classification', fp32Metric: 0.9, candidateMetric: 0.91 }).message,
    ).toContain('(+1.00 points)');
    expect(
      gate({ task: 'classification', fp32Metric: 0.9, candidateMetric: 0.9, maxDrop: 0 }).passed,
    ).toBe(true);
    expect(
      gate({ task: 'classification', fp32Metric: 0.9, candidateMetric: 0.8999, maxDrop: 0 }).passed,
    ).toBe(false);
  });

  it('uses maxDrop in points: 2.5 allows 0.025', () => {
    expect(
      gate({ task: 'classification', fp32Metric: 0.8, candidateMetric: 0.775, maxDrop: 2.5 })
        .passed,
    ).toBe(true);
    expect(
      gate({ task: 'classification', fp32Metric: 0.8, candidateMetric: 0.7749, maxDrop: 2.5 })
        .passed,
    ).toBe(false);
  });

  it('fails a NaN candidate accuracy', () => {
    const r = gate({ task: 'classification', fp32Metric: 0.9, candidateMetric: Number.NaN });
    expect(r.passed).toBe(false);
    expect(r.message).toContain('NaN');
  });
});

describe('gate: regression (relative MSE growth in percent, default 5)', () => {
  it('passes growth of exactly 5% and fails just over', () => {
    const at = gate({ task: 'regression', fp32Metric: 100, candidateMetric: 105 });
    expect(at).toMatchObject({ passed: true, metric: 'mse', delta: 5, limit: 105 });
    expect(at.message).toBe('MSE 100 -> 105 (+5.00%), within the allowed growth of 5.0%: passed');
    const over = gate({ task: 'regression', fp32Metric: 100, candidateMetric: 105.01 });
    expect(over.passed).toBe(false);
    expect(over.message).toBe('MSE grew 5.01% (100 -> 105.01), more than the allowed 5.0%: failed');
  });

  it('holds the boundary where floating point rounds up (0.3 * 1.05)', () => {
    expect(gate({ task: 'regression', fp32Metric: 0.3, candidateMetric: 0.315 }).passed).toBe(true);
  });

  it('passes a lower MSE; uses maxDrop as percent', () => {
    expect(gate({ task: 'regression', fp32Metric: 2729.96, candidateMetric: 2700 }).passed).toBe(
      true,
    );
    expect(
      gate({ task: 'regression', fp32Metric: 100, candidateMetric: 110, maxDrop: 10 }).passed,
    ).toBe(true);
    expect(
      gate({ task: 'regression', fp32Metric: 100, candidateMetric: 110.1, maxDrop: 10 }).passed,
    ).toBe(false);
  });

  it('with an fp32 MSE of 0, only 0 passes', () => {
    expect(gate({ task: 'regression', fp32Metric: 0, candidateMetric: 0 }).passed).toBe(true);
    expect(gate({ task: 'regression', fp32Metric: 0, candidateMetric: 0.001 }).passed).toBe(false);
  });

  it('fails a NaN candidate MSE', () => {
    expect(gate({ task: 'regression', fp32Metric: 1, candidateMetric: Number.NaN }).passed).toBe(
      false,
    );
  });
});

describe('rejects unusable gate arguments', () => {
  it('a NaN fp32 metric (EF_COMPILE_VALIDATE_INPUT)', () => {
    expect(() =>
      gate({ task: 'classification', fp32Metric: Number.NaN, candidateMetric: 0.9 }),
    ).toThrow(ValidateError);
  });

  it('a negative maxDrop (EF_COMPILE_VALIDATE_INPUT)', () => {
    try {
      gate({ task: 'regression', fp32Metric: 1, candidateMetric: 1, maxDrop: -1 });
      expect.unreachable();
    } catch (err) {
      expect((err as ValidateError).code).toBe('EF_COMPILE_VALIDATE_INPUT');
    }
  });
});
