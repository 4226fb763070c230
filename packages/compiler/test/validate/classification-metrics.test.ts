import { describe, expect, it } from 'vitest';

import {
  ConfusionMatrix,
  classificationMetrics,
  confusionMatrix,
} from '../../src/validate/classification-metrics.js';
import { ValidateError } from '../../src/validate/validate-errors.js';

describe('classificationMetrics (golden values computed by hand)', () => {
  // truth 0: predicted 0, 0, 1        -> row [2, 1, 0]
  // truth 1: predicted 1, 1, 2        -> row [0, 2, 1]
  // truth 2: predicted 2, 2, 0, 1     -> row [1, 1, 2]
  const truth = [0, 0, 0, 1, 1, 1, 2, 2, 2, 2];
  const predicted = [0, 0, 1, 1, 1, 2, 2, 2, 0, 1];

  it('confusion matrix rows are the truth, columns the prediction', () => {
    expect(confusionMatrix(truth, predicted, 3)).toEqual([
      [2, 1, 0],
      [0, 2, 1],
      [1, 1, 2],
    ]);
  });

  it('accuracy, per-class precision/recall/F1/support and macro F1', () => {
    const m = classificationMetrics(truth, predicted, 3);
    expect(m.samples).toBe(10);
    expect(m.accuracy).toBe(0.6);
    // class 0: tp 2, predicted 3, support 3 -> P 2/3, R 2/3, F1 2/3
    // class 1: tp 2, predicted 4, support 3 -> P 1/2, R 2/3, F1 = 2*2/(2*2+2+1) = 4/7
    // class 2: tp 2, predicted 3, support 4 -> P 2/3, R 1/2, F1 = 4/(4+1+2) = 4/7
    const expected = [
      { precision: 2 / 3, recall: 2 / 3, f1: 2 / 3, support: 3 },
      { precision: 1 / 2, recall: 2 / 3, f1: 4 / 7, support: 3 },
      { precision: 2 / 3, recall: 1 / 2, f1: 4 / 7, support: 4 },
    ];
    m.perClass.forEach((c, i) => {
      const e = expected[i]!;
      expect(c.support).toBe(e.support);
      expect(c.precision).toBeCloseTo(e.precision, 12);
      expect(c.recall).toBeCloseTo(e.recall, 12);
      expect(c.f1).toBeCloseTo(e.f1, 12);
    });
    // (2/3 + 4/7 + 4/7) / 3 = (14 + 12 + 12) / 63 = 38/63
    expect(m.macroF1).toBeCloseTo(38 / 63, 12);
  });

  it('sklearn zero_division=0: a class with no predictions and no support has F1 0 and counts in macro F1', () => {
    // 4 model classes; class 3 never occurs in labels or predictions.
    const m = classificationMetrics([0, 1, 2, 2], [0, 1, 2, 1], 4);
    expect(m.perClass[3]).toEqual({ precision: 0, recall: 0, f1: 0, support: 0 });
    // class 0: F1 1; class 1: tp 1, fp 1 -> 2/3; class 2: tp 1, fn 1 -> 2/3; class 3: 0
    expect(m.macroF1).toBeCloseTo((1 + 2 / 3 + 2 / 3 + 0) / 4, 12);
  });

  it('a class predicted but never true has precision 0, recall 0 (no support), F1 0', () => {
    const m = classificationMetrics([0, 0], [0, 1], 2);
    expect(m.perClass[1]).toEqual({ precision: 0, recall: 0, f1: 0, support: 0 });
    expect(m.perClass[0]).toEqual({ precision: 1, recall: 0.5, f1: 2 / 3, support: 2 });
  });

  it('a class true but never predicted has precision 0 (zero division), recall 0, F1 0', () => {
    const m = classificationMetrics([0, 1], [0, 0], 2);
    expect(m.perClass[1]).toEqual({ precision: 0, recall: 0, f1: 0, support: 1 });
  });

  it('streams: adding samples one by one gives the same metrics', () => {
    const cm = new ConfusionMatrix(3);
    truth.forEach((t, i) => cm.add(t, predicted[i]!));
    expect(cm.metrics()).toEqual(classificationMetrics(truth, predicted, 3));
  });

  it('rejects arrays of different lengths, no samples and out-of-range indices', () => {
    expect(() => classificationMetrics([0, 1], [0], 2)).toThrow(ValidateError);
    expect(() => classificationMetrics([], [], 2)).toThrow(/no samples/);
    expect(() => classificationMetrics([0, 2], [0, 1], 2)).toThrow(/label 2 is not a class index/);
    expect(() => new ConfusionMatrix(0)).toThrow(/classCount/);
  });
});
