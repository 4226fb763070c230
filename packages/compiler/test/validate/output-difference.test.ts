import { describe, expect, it } from 'vitest';

import {
  OutputDifference,
  maxAbsDifference,
  topOneAgreement,
} from '../../src/validate/output-difference.js';

describe('topOneAgreement', () => {
  it('is the fraction of equal predictions', () => {
    expect(topOneAgreement([0, 1, 2, 2], [0, 1, 1, 2])).toBe(0.75);
    expect(topOneAgreement([3], [3])).toBe(1);
  });
});

describe('maxAbsDifference', () => {
  it('is the largest |a - b| over all values', () => {
    expect(maxAbsDifference(Float32Array.of(1, 2, 3), Float32Array.of(1, 2.5, 2))).toBe(1);
    expect(maxAbsDifference(Float32Array.of(-4), Float32Array.of(4))).toBe(8);
    expect(maxAbsDifference(Float32Array.of(1, 2), Float32Array.of(1, 2))).toBe(0);
  });

  it('reads int64 outputs', () => {
    expect(maxAbsDifference(BigInt64Array.of(1n, 5n), BigInt64Array.of(1n, 2n))).toBe(3);
  });

  it('counts NaN on one side as an infinite difference, on both sides as none', () => {
    expect(maxAbsDifference(Float32Array.of(1, Number.NaN), Float32Array.of(1, 1))).toBe(Infinity);
    expect(maxAbsDifference(Float32Array.of(Number.NaN), Float32Array.of(Number.NaN))).toBe(0);
  });

  it('accumulates max and mean over batches', () => {
    const diff = new OutputDifference();
    diff.add(Float32Array.of(0, 0), Float32Array.of(1, 3));
    diff.add(Float32Array.of(0), Float32Array.of(-2));
    expect(diff.max).toBe(3);
    expect(diff.mean).toBe(2);
  });

  it('rejects tensors of different sizes', () => {
    expect(() => maxAbsDifference(Float32Array.of(1), Float32Array.of(1, 2))).toThrow(/1 vs 2/);
  });
});
