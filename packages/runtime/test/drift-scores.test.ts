import { describe, expect, it } from 'vitest';

import { DriftError } from '../src/drift/drift-errors.js';
import {
  binnedKs,
  driftDistances,
  jensenShannon,
  psi,
  PSI_EPSILON,
  scoreWindow,
  type ScoredBaseline,
} from '../src/drift/drift-scores.js';

describe('psi', () => {
  it('matches a hand-computed value without smoothing', () => {
    // p = [0.5, 0.5], counts [3, 1] -> q = [0.75, 0.25]
    // PSI = (0.75 - 0.5) ln(0.75 / 0.5) + (0.25 - 0.5) ln(0.25 / 0.5)
    //     = 0.25 ln 1.5 + 0.25 ln 2 = 0.25 ln 3 = 0.274653072...
    expect(psi([0.5, 0.5], [3, 1], { epsilon: 0 })).toBeCloseTo(0.25 * Math.log(3), 12);
    expect(psi([0.5, 0.5], [3, 1], { epsilon: 0 })).toBeCloseTo(0.2746530722, 9);
  });

  it('matches a second three-bin hand computation', () => {
    // p = [0.2, 0.3, 0.5], q = [30, 30, 40] / 100 = [0.3, 0.3, 0.4]
    // PSI = 0.1 ln 1.5 + 0 + (-0.1) ln 0.8 = 0.0405465 + 0.0223144 = 0.0628609
    expect(psi([0.2, 0.3, 0.5], [30, 30, 40], { epsilon: 0 })).toBeCloseTo(0.0628608659, 9);
  });

  it('smooths an empty bin with epsilon = 1e-4 on both sides', () => {
    expect(PSI_EPSILON).toBe(1e-4);
    // p = [0.25, 0.5, 0.25], counts [0, 2, 2] -> q = [0, 0.5, 0.5]; k = 3, norm = 1 + 3e-4
    // p' = [0.2501, 0.5001, 0.2501] / 1.0003, q' = [0.0001, 0.5001, 0.5001] / 1.0003
    // bin 0: (-0.25 / 1.0003) ln(0.0001 / 0.2501) = -0.249925 * -7.824446 = 1.955525
    // bin 1: 0 (equal)
    // bin 2: (+0.25 / 1.0003) ln(0.5001 / 0.2501) = 0.249925 * 0.692947 = 0.173185
    // PSI = 2.128710
    expect(psi([0.25, 0.5, 0.25], [0, 2, 2])).toBeCloseTo(2.12870968, 7);
    // Without smoothing the empty bin makes it infinite.
    expect(psi([0.25, 0.5, 0.25], [0, 2, 2], { epsilon: 0 })).toBe(Infinity);
  });

  it('is 0 for identical distributions, with or without smoothing', () => {
    expect(psi([0.1, 0.2, 0.3, 0.4], [10, 20, 30, 40])).toBe(0);
    expect(psi([0, 1, 0], [0, 7, 0])).toBe(0);
    expect(psi([0, 1, 0], [0, 7, 0], { epsilon: 0 })).toBe(0);
  });

  it('is symmetric in p and q', () => {
    expect(psi([0.75, 0.25], [1, 1], { epsilon: 0 })).toBeCloseTo(
      psi([0.5, 0.5], [3, 1], { epsilon: 0 }),
      12,
    );
  });

  it('refuses a bad epsilon', () => {
    expect(() => psi([1], [1], { epsilon: -1 })).toThrow(DriftError);
    expect(() => psi([1], [1], { epsilon: Number.NaN })).toThrow(/epsilon/);
  });
});

describe('jensenShannon', () => {
  it('matches a hand-computed value (bits)', () => {
    // p = [0.5, 0.5], q = [0.75, 0.25], m = [0.625, 0.375]
    // KL(p||m) = 0.5 log2(0.8) + 0.5 log2(4/3) = -0.160964 + 0.207519 = 0.046554
    // KL(q||m) = 0.75 log2(1.2) + 0.25 log2(2/3) = 0.197276 - 0.146241 = 0.051035
    // JS = (0.046554 + 0.051035) / 2 = 0.048795
    expect(jensenShannon([0.5, 0.5], [3, 1])).toBeCloseTo(0.0487949407, 9);
  });

  it('handles an empty bin without smoothing', () => {
    // p = [0.25, 0.5, 0.25], q = [0, 0.5, 0.5], m = [0.125, 0.5, 0.375]
    // KL(p||m) = 0.25 log2 2 + 0 + 0.25 log2(2/3) = 0.25 - 0.146241 = 0.103759
    // KL(q||m) = 0 + 0 + 0.5 log2(4/3) = 0.207519
    // JS = (0.103759 + 0.207519) / 2 = 0.155639
    expect(jensenShannon([0.25, 0.5, 0.25], [0, 2, 2])).toBeCloseTo(0.1556390622, 9);
  });

  it('is 0 for identical and 1 for disjoint distributions', () => {
    expect(jensenShannon([0.2, 0.3, 0.5], [2, 3, 5])).toBe(0);
    expect(jensenShannon([1, 0], [0, 4])).toBe(1);
    expect(jensenShannon([0.5, 0.5, 0, 0], [0, 0, 3, 1])).toBeCloseTo(1, 12);
  });
});

describe('binnedKs', () => {
  it('is the largest gap between the cumulative shares', () => {
    // cum p = [0.25, 0.75, 1], cum q = [0, 0.5, 1] -> max(0.25, 0.25, 0) = 0.25
    expect(binnedKs([0.25, 0.5, 0.25], [0, 2, 2])).toBeCloseTo(0.25, 12);
    // cum p = [0.2, 0.5, 1], cum q = [0.3, 0.6, 1] -> 0.1
    expect(binnedKs([0.2, 0.3, 0.5], [30, 30, 40])).toBeCloseTo(0.1, 12);
  });

  it('is 0 for identical and 1 for disjoint distributions', () => {
    expect(binnedKs([0.5, 0.5], [1, 1])).toBe(0);
    expect(binnedKs([1, 0], [0, 9])).toBe(1);
  });
});

describe('driftDistances', () => {
  it('scores an empty window as 0 (no evidence)', () => {
    expect(driftDistances([0.5, 0.5], [0, 0])).toEqual({ psi: 0, js: 0, ks: 0, count: 0 });
  });

  it('refuses counts that do not match the shares', () => {
    expect(() => driftDistances([0.5, 0.5], [1, 2, 3])).toThrow(
      expect.objectContaining({ code: 'EF_RUNTIME_DRIFT_SHAPE' }),
    );
  });
});

describe('scoreWindow', () => {
  const baseline: ScoredBaseline = {
    features: [
      { name: 'a', shares: [0.5, 0.5], threshold: { psi: 0.1 } },
      { name: 'b', shares: [0.5, 0.5], threshold: { psi: 0.1 } },
      { name: 'c', shares: [0.25, 0.5, 0.25], threshold: { psi: 0.1 } },
    ],
    output: { shares: [0.9, 0.1] },
    rule: { driftedShare: 0.5 },
  };

  it('flags features over their PSI threshold and the window by share', () => {
    const score = scoreWindow(baseline, {
      features: [
        { name: 'a', counts: [50, 50] }, // psi 0
        { name: 'b', counts: [75, 25] }, // psi ~0.2746 > 0.1
        { name: 'c', counts: [0, 50, 50] }, // psi ~2.13 > 0.1
      ],
      output: { counts: [90, 10] },
    });
    expect(score.features.map((f) => f.drifted)).toEqual([false, true, true]);
    expect(score.features[1]?.psi).toBeCloseTo(0.27453, 4);
    expect(score.driftedFeatures).toEqual(['b', 'c']);
    expect(score.driftedShare).toBeCloseTo(2 / 3, 12);
    expect(score.drifted).toBe(true);
    expect(score.output).toEqual({ psi: 0, js: 0, ks: 0, count: 100 });
  });

  it('does not flag the window below the drifted share', () => {
    const score = scoreWindow(baseline, {
      features: [{ counts: [50, 50] }, { counts: [75, 25] }, { counts: [25, 50, 25] }],
    });
    expect(score.driftedFeatures).toEqual(['b']);
    expect(score.drifted).toBe(false);
    expect(score.output.count).toBe(0);
  });

  it('uses a strict PSI comparison and an inclusive share comparison', () => {
    const exact: ScoredBaseline = {
      features: [{ name: 'a', shares: [0.5, 0.5], threshold: { psi: 0 } }],
      output: { shares: [1] },
      rule: { driftedShare: 1 },
    };
    expect(scoreWindow(exact, { features: [{ counts: [5, 5] }] }).drifted).toBe(false);
    expect(scoreWindow(exact, { features: [{ counts: [6, 4] }] }).drifted).toBe(true);
  });

  it('refuses a window that does not match the baseline', () => {
    expect(() => scoreWindow(baseline, { features: [{ counts: [1, 1] }] })).toThrow(
      expect.objectContaining({ code: 'EF_RUNTIME_DRIFT_SHAPE' }),
    );
    expect(() =>
      scoreWindow(baseline, {
        features: [{ name: 'x', counts: [1, 1] }, { counts: [1, 1] }, { counts: [1, 1, 1] }],
      }),
    ).toThrow(/window feature 0 is x/);
  });
});
