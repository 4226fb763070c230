import { describe, expect, it } from 'vitest';

import {
  DEFAULT_BINS,
  histogramShares,
  profileFeature,
  profileOutputs,
} from '../src/drift/baseline-profile.js';
import { binIndex } from '../src/drift/bin-counter.js';
import { DriftError } from '../src/drift/drift-errors.js';
import { mulberry32 } from '../src/drift/seeded-random.js';

function sum(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

function strictlyIncreasing(xs: readonly number[]): boolean {
  return xs.every((x, i) => i === 0 || x > xs[i - 1]!);
}

describe('profileFeature', () => {
  it('puts deciles of a continuous feature at ranks floor(k n / 10)', () => {
    // 0..999 shuffled: the value at rank floor(k * 1000 / 10) is 100 k.
    const random = mulberry32(1);
    const values = Array.from({ length: 1000 }, (_, i) => i).sort(() => random() - 0.5);
    const profile = profileFeature(values);
    expect(DEFAULT_BINS).toBe(10);
    expect(profile.edges).toEqual([100, 200, 300, 400, 500, 600, 700, 800, 900]);
    expect(profile.shares).toEqual(new Array(10).fill(0.1));
    expect(profile.mean).toBeCloseTo(499.5, 12);
    // Population std of 0..n-1: sqrt((n^2 - 1) / 12).
    expect(profile.std).toBeCloseTo(Math.sqrt((1000 * 1000 - 1) / 12), 9);
    expect(profile.count).toBe(1000);
    expect(profile.missing).toBe(0);
  });

  it('gives a one-hot column one bin per value', () => {
    // 6 zeros, 4 ones: edges [1] -> bins x < 1 (the zeros) and x >= 1 (the ones).
    const profile = profileFeature([0, 1, 0, 0, 1, 0, 1, 0, 0, 1]);
    expect(profile.edges).toEqual([1]);
    expect(profile.shares).toEqual([0.6, 0.4]);
    expect(profile.mean).toBeCloseTo(0.4, 12);
    expect(profile.std).toBeCloseTo(Math.sqrt(0.24), 12);
  });

  it('keeps a rare category in its own bin', () => {
    const values = [...new Array<number>(999).fill(0), 1];
    expect(profileFeature(values).edges).toEqual([1]);
    expect(profileFeature(values).shares).toEqual([0.999, 0.001]);
  });

  it('gives a small integer code one bin per distinct value', () => {
    const profile = profileFeature([3, 1, 2, 2, 3, 3, 1, 2, 3, 3], { bins: 10 });
    expect(profile.edges).toEqual([2, 3]);
    expect(profile.shares).toEqual([0.2, 0.3, 0.5]);
  });

  it('brackets a constant feature with an empty underflow and overflow', () => {
    const profile = profileFeature(new Float64Array(50).fill(7.5));
    expect(profile.edges).toHaveLength(2);
    expect(profile.edges[0]).toBe(7.5);
    expect(profile.edges[1]).toBeGreaterThan(7.5);
    expect(profile.edges[1]! - 7.5).toBeLessThan(1e-14);
    expect(profile.shares).toEqual([0, 1, 0]);
    expect(profile.std).toBe(0);
    expect(binIndex(profile.edges, 7.5)).toBe(1);
    expect(binIndex(profile.edges, 7.4)).toBe(0);
    expect(binIndex(profile.edges, 7.6)).toBe(2);
    expect(profileFeature([0, 0, 0]).edges).toEqual([0, Number.MIN_VALUE]);
    expect(profileFeature([-2, -2]).edges[1]).toBeGreaterThan(-2);
  });

  it('never leaves a calibration bin empty when values tie at the minimum', () => {
    // 30% zeros then a continuous tail (like tool wear at the start of a tool's life).
    const random = mulberry32(2);
    const values = Array.from({ length: 1000 }, (_, i) => (i < 300 ? 0 : 1 + random() * 100));
    const profile = profileFeature(values);
    expect(profile.edges[0]).toBeGreaterThan(0);
    expect(profile.edges.length).toBeLessThan(9);
    expect(strictlyIncreasing(profile.edges)).toBe(true);
    expect(profile.shares.every((s) => s > 0)).toBe(true);
    expect(profile.shares[0]).toBeGreaterThanOrEqual(0.3);
    expect(sum(profile.shares)).toBeCloseTo(1, 12);
  });

  it('deduplicates edges of a feature with heavy ties', () => {
    const values = Array.from({ length: 1000 }, (_, i) => Math.floor(i / 1000 ** 0.5) % 15);
    const profile = profileFeature(values, { bins: 10 });
    expect(strictlyIncreasing(profile.edges)).toBe(true);
    expect(profile.edges.length).toBeLessThanOrEqual(9);
    expect(profile.shares).toHaveLength(profile.edges.length + 1);
    expect(profile.shares.every((s) => s > 0)).toBe(true);
  });

  it('handles fewer values than bins', () => {
    expect(profileFeature([5, 1, 3], { bins: 10 })).toMatchObject({
      edges: [3, 5],
      shares: [1 / 3, 1 / 3, 1 / 3],
    });
  });

  it('skips NaN and counts it as missing', () => {
    const profile = profileFeature([0, Number.NaN, 1, 1, Number.NaN]);
    expect(profile).toMatchObject({ edges: [1], count: 3, missing: 2 });
    expect(profile.shares).toEqual([1 / 3, 2 / 3]);
  });

  it('refuses infinite values, empty input and bad bins', () => {
    expect(() => profileFeature([1, Infinity])).toThrow(
      expect.objectContaining({ code: 'EF_RUNTIME_DRIFT_VALUES' }),
    );
    expect(() => profileFeature([Number.NaN])).toThrow(
      expect.objectContaining({ code: 'EF_RUNTIME_DRIFT_EMPTY' }),
    );
    expect(() => profileFeature([])).toThrow(DriftError);
    for (const bins of [0, 1.5, 1026]) {
      expect(() => profileFeature([1, 2], { bins })).toThrow(
        expect.objectContaining({ code: 'EF_RUNTIME_DRIFT_OPTIONS' }),
      );
    }
  });

  it('gives one bin when asked for one', () => {
    expect(profileFeature([1, 2, 3], { bins: 1 })).toMatchObject({ edges: [], shares: [1] });
  });
});

describe('histogramShares', () => {
  it('bins with the device rule (an edge goes up) and skips NaN', () => {
    // 0 -> bin 0; 1 and 1.5 -> bin 1 (1 is an edge, so it goes up); 2 -> bin 2; NaN skipped.
    expect(histogramShares([1, 2], [0, 1, 1.5, 2, Number.NaN])).toEqual([0.25, 0.5, 0.25]);
  });
});

describe('profileOutputs', () => {
  it('gives the share of each predicted class, unseen classes included', () => {
    expect(
      profileOutputs({ kind: 'classes', predicted: [0, 0, 1, 3, Number.NaN], classCount: 5 }),
    ).toEqual({ kind: 'classes', shares: [0.5, 0.25, 0, 0.25, 0] });
  });

  it('profiles regression outputs as a histogram', () => {
    expect(profileOutputs({ kind: 'regression', values: [1.5, 2.5, 3.5, 4.5], bins: 2 })).toEqual({
      kind: 'histogram',
      edges: [3.5],
      shares: [0.5, 0.5],
    });
  });

  it('refuses bad classes', () => {
    expect(() => profileOutputs({ kind: 'classes', predicted: [0, 5], classCount: 5 })).toThrow(
      expect.objectContaining({ code: 'EF_RUNTIME_DRIFT_VALUES' }),
    );
    expect(() => profileOutputs({ kind: 'classes', predicted: [0.5], classCount: 2 })).toThrow(
      DriftError,
    );
    expect(() => profileOutputs({ kind: 'classes', predicted: [0], classCount: 0 })).toThrow(
      expect.objectContaining({ code: 'EF_RUNTIME_DRIFT_OPTIONS' }),
    );
    expect(() => profileOutputs({ kind: 'classes', predicted: [], classCount: 2 })).toThrow(
      expect.objectContaining({ code: 'EF_RUNTIME_DRIFT_EMPTY' }),
    );
  });
});
