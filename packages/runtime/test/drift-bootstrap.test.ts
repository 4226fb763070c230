import { describe, expect, it } from 'vitest';

import { histogramShares, profileFeature } from '../src/drift/baseline-profile.js';
import {
  bootstrapThreshold,
  calibrationBins,
  DEFAULT_BOOTSTRAP_SAMPLES,
  DEFAULT_THRESHOLD_SIGMAS,
} from '../src/drift/bootstrap-threshold.js';
import { psi } from '../src/drift/drift-scores.js';
import { mulberry32 } from '../src/drift/seeded-random.js';

/** Standard normal draws (Box-Muller) from a seeded mulberry32. */
function normals(seed: number, length: number, mean = 0, sd = 1): Float64Array {
  const random = mulberry32(seed);
  return Float64Array.from(
    { length },
    () => mean + sd * Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random()),
  );
}

function windowCounts(edges: number[], values: Float64Array): number[] {
  return histogramShares(edges, values).map((s) => s * values.length);
}

const calibration = normals(1, 2000);
const profile = profileFeature(calibration);
const bins = calibrationBins(profile.edges, calibration);

describe('calibrationBins', () => {
  it('bins each value once and leaves NaN out', () => {
    expect(Array.from(calibrationBins([1, 2], [0.5, 1.5, Number.NaN, 2.5, 2]))).toEqual([
      0, 1, 2, 2,
    ]);
  });
});

describe('bootstrapThreshold', () => {
  it('uses 200 samples and 3 sigmas by default', () => {
    expect(DEFAULT_BOOTSTRAP_SAMPLES).toBe(200);
    expect(DEFAULT_THRESHOLD_SIGMAS).toBe(3);
  });

  it('is deterministic for a seed and changes with it', () => {
    const a = bootstrapThreshold(bins, profile.shares, { windowSize: 250, seed: 42 });
    const b = bootstrapThreshold(bins, profile.shares, { windowSize: 250, seed: 42 });
    const c = bootstrapThreshold(bins, profile.shares, { windowSize: 250, seed: 43 });
    expect(b).toEqual(a);
    expect(c.psi).not.toBe(a.psi);
  });

  it('gives positive thresholds of the expected size for a continuous feature', () => {
    const t = bootstrapThreshold(bins, profile.shares, { windowSize: 250, seed: 1 });
    expect(t.psi).toBeGreaterThan(0);
    expect(t.js).toBeGreaterThan(0);
    expect(t.ks).toBeGreaterThan(0);
    // PSI noise ~ (bins - 1)(1/W + 1/n) = 9 (1/250 + 1/2000) = 0.0405 on average, sd about
    // sqrt(2 * 9) (1/W + 1/n) = 0.019, so mean + 3 sd is near 0.1.
    expect(t.psi).toBeGreaterThan(0.06);
    expect(t.psi).toBeLessThan(0.16);
    // Larger windows are less noisy: lower thresholds.
    const wide = bootstrapThreshold(bins, profile.shares, { windowSize: 1000, seed: 1 });
    expect(wide.psi).toBeLessThan(t.psi);
  });

  it('flags at most a few percent of clean windows drawn from the same distribution', () => {
    const t = bootstrapThreshold(bins, profile.shares, { windowSize: 250, seed: 7 });
    let flagged = 0;
    for (let w = 0; w < 100; w++) {
      const counts = windowCounts(profile.edges, normals(1000 + w, 250));
      if (psi(profile.shares, counts) > t.psi) flagged++;
    }
    expect(flagged).toBeLessThanOrEqual(4);
  });

  it('flags a window whose mean moved by 3 sigma', () => {
    const t = bootstrapThreshold(bins, profile.shares, { windowSize: 250, seed: 7 });
    const counts = windowCounts(profile.edges, normals(99, 250, 3, 1));
    expect(psi(profile.shares, counts)).toBeGreaterThan(10 * t.psi);
  });

  it('is tighter when the reference is not resampled (only right for large calibration sets)', () => {
    const both = bootstrapThreshold(bins, profile.shares, { windowSize: 1000, seed: 3 });
    const windowOnly = bootstrapThreshold(bins, profile.shares, {
      windowSize: 1000,
      seed: 3,
      resampleReference: false,
    });
    expect(windowOnly.psi).toBeLessThan(both.psi);
  });

  it('gives 0 thresholds for a constant feature (any other value is drift)', () => {
    const constant = profileFeature(new Float64Array(100).fill(4));
    const t = bootstrapThreshold(
      calibrationBins(constant.edges, new Float64Array(100).fill(4)),
      constant.shares,
      { windowSize: 50, seed: 1 },
    );
    expect(t).toEqual({ psi: 0, js: 0, ks: 0 });
  });

  it('refuses bad options and empty calibration bins', () => {
    const shares = profile.shares;
    for (const options of [
      { windowSize: 0 },
      { windowSize: 2.5 },
      { windowSize: 10, samples: 1 },
      { windowSize: 10, seed: 0.5 },
      { windowSize: 10, sigmas: -1 },
    ]) {
      expect(() => bootstrapThreshold(bins, shares, options)).toThrow(
        expect.objectContaining({ code: 'EF_RUNTIME_DRIFT_OPTIONS' }),
      );
    }
    expect(() => bootstrapThreshold([], shares, { windowSize: 10 })).toThrow(
      expect.objectContaining({ code: 'EF_RUNTIME_DRIFT_EMPTY' }),
    );
  });
});
