import { describe, expect, it } from 'vitest';
import { EntropyCalibrator } from '../../src/quantize/calibration-entropy.js';
import { MinMaxCalibrator } from '../../src/quantize/calibration-minmax.js';
import { PercentileCalibrator } from '../../src/quantize/calibration-percentile.js';
import { pairwiseSumFloat32 } from '../../src/quantize/float32-sum.js';
import { histogramUniform, linspaceFloat32 } from '../../src/quantize/histogram.js';
import { smoothDistribution } from '../../src/quantize/kl-divergence.js';

/** Deterministic standard normal samples (Box-Muller over a small LCG). */
function gaussian(n: number, seed = 1): Float32Array {
  let s = seed >>> 0;
  const uniform = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 2 ** 32;
  };
  return Float32Array.from(
    { length: n },
    () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()),
  );
}

describe('MinMaxCalibrator', () => {
  it('is the exact min and max over batches', () => {
    const cal = new MinMaxCalibrator();
    cal.collect(new Float32Array([0.5, -2, 1]));
    cal.collect(new Float32Array([]));
    cal.collect(new Float32Array([3.25, 0]));
    expect(cal.computeRange()).toEqual({ rmin: -2, rmax: 3.25 });
  });

  it('symmetric and moving average (mean of per-batch extremes)', () => {
    const sym = new MinMaxCalibrator({ symmetric: true });
    sym.collect(new Float32Array([-5, 1]));
    expect(sym.computeRange()).toEqual({ rmin: -5, rmax: 5 });
    const avg = new MinMaxCalibrator({ movingAverage: true });
    avg.collect(new Float32Array([-1, 1]));
    avg.collect(new Float32Array([-3, 5]));
    expect(avg.computeRange()).toEqual({ rmin: -2, rmax: 3 });
  });

  it('never stores samples: 1e8 values through one reused buffer', () => {
    const cal = new MinMaxCalibrator();
    const batch = new Float32Array(1_000_000);
    const before = process.memoryUsage().heapUsed;
    for (let b = 0; b < 100; b++) {
      batch.fill(Math.fround(b / 100 - 0.3));
      batch[b] = -b;
      cal.collect(batch);
    }
    const grown = process.memoryUsage().heapUsed - before;
    expect(cal.computeRange()).toEqual({ rmin: -99, rmax: Math.fround(0.99 - 0.3) });
    expect(grown).toBeLessThan(32 * 1024 * 1024);
  });

  it('throws EF_COMPILE_CALIBRATION_EMPTY before data and EF_COMPILE_QUANT_RANGE on NaN', () => {
    expect(() => new MinMaxCalibrator().computeRange()).toThrow(
      expect.objectContaining({ code: 'EF_COMPILE_CALIBRATION_EMPTY' }),
    );
    expect(() => new MinMaxCalibrator().collect(new Float32Array([1, Number.NaN]))).toThrow(
      expect.objectContaining({ code: 'EF_COMPILE_QUANT_RANGE' }),
    );
  });
});

describe('PercentileCalibrator', () => {
  it('picks the left edge of the bin where the cdf crosses the percentile (known sorted set)', () => {
    // 1000 values 0.5, 1.5, ..., 999.5; |x| histogram over [0.5, 999.5] with 999 bins of width 1:
    // bin k holds k + 0.5 (the last bin also 999.5). cdf(k) = (k + 1) / 1000 reaches 0.9 at
    // k = 899, whose LEFT edge 899.5 is the threshold; -899.5 is clipped to the data min 0.5.
    const data = Float32Array.from({ length: 1000 }, (_, i) => i + 0.5);
    const sym = new PercentileCalibrator({ numBins: 999, percentile: 90, symmetric: true });
    sym.collect(data);
    expect(sym.computeRange()).toEqual({ rmin: 0.5, rmax: 899.5 });
    // Non-symmetric: histogram over [-999.5, 999.5], 5% cut on each side -> about [50, 950].
    const cal = new PercentileCalibrator({ numBins: 999, percentile: 90, symmetric: false });
    cal.collect(data);
    const { rmin, rmax } = cal.computeRange();
    expect(rmin).toBeGreaterThan(47);
    expect(rmin).toBeLessThan(51);
    expect(rmax).toBeGreaterThan(947);
    expect(rmax).toBeLessThan(951);
  });

  it('defaults: 99.999 percentile, 2048 bins, symmetric (as quantize_static)', () => {
    const x = gaussian(20_000);
    x[3] = 50;
    const cal = new PercentileCalibrator();
    cal.collect(x);
    expect(cal.snapshot()?.counts.length).toBe(2048);
    const { rmax } = cal.computeRange();
    expect(rmax).toBeLessThanOrEqual(50);
  });

  it('rejects bad options', () => {
    expect(() => new PercentileCalibrator({ percentile: 101 })).toThrow(
      expect.objectContaining({ code: 'EF_COMPILE_CALIBRATION_OPTIONS' }),
    );
    expect(() => new PercentileCalibrator({ numBins: 0 })).toThrow(
      expect.objectContaining({ code: 'EF_COMPILE_CALIBRATION_OPTIONS' }),
    );
    expect(() => new PercentileCalibrator().computeRange()).toThrow(
      expect.objectContaining({ code: 'EF_COMPILE_CALIBRATION_EMPTY' }),
    );
  });
});

describe('EntropyCalibrator', () => {
  it('clips a far outlier of a Gaussian (2048 bins, 128 quantized bins)', () => {
    const x = gaussian(50_000, 7);
    x[123] = 40;
    const cal = new EntropyCalibrator({ numBins: 2048 });
    for (let i = 0; i < x.length; i += 10_000) cal.collect(x.subarray(i, i + 10_000));
    const { rmin, rmax } = cal.computeRange();
    expect(rmax).toBeLessThan(10);
    expect(rmax).toBeGreaterThan(2);
    expect(rmin).toBeLessThan(-2);
  });

  it('with the onnxruntime defaults (128/128) and one batch, the range is min/max', () => {
    const x = gaussian(5_000, 3);
    x[0] = 40;
    const cal = new EntropyCalibrator();
    cal.collect(x);
    let min = Infinity;
    for (const v of x) min = Math.min(min, v);
    expect(cal.computeRange()).toEqual({ rmin: min, rmax: 40 });
  });

  it('rejects numQuantizedBins > numBins', () => {
    expect(() => new EntropyCalibrator({ numBins: 64, numQuantizedBins: 128 })).toThrow(
      expect.objectContaining({ code: 'EF_COMPILE_CALIBRATION_OPTIONS' }),
    );
  });
});

describe('numpy emulation helpers', () => {
  it('linspace/histogram edges and counts', () => {
    expect(Array.from(linspaceFloat32(-1, 1, 4))).toEqual([-1, -0.5, 0, 0.5, 1]);
    const h = histogramUniform(new Float32Array([-1, -0.5, 0, 0.99, 1, 2]), 4, -1, 1);
    expect(Array.from(h.counts)).toEqual([1, 1, 1, 2]);
  });

  it('pairwise float32 sum and distribution smoothing', () => {
    expect(pairwiseSumFloat32(new Float32Array([0.1, 0.2, 0.3]))).toBe(
      Math.fround(Math.fround(Math.fround(0.1) + Math.fround(0.2)) + Math.fround(0.3)),
    );
    expect(pairwiseSumFloat32(new Float32Array(1000).fill(1))).toBe(1000);
    expect(Array.from(smoothDistribution([0, 2, 2]) ?? [])).toEqual([
      Math.fround(0.0001),
      Math.fround(2 - Math.fround(0.00005)),
      Math.fround(2 - Math.fround(0.00005)),
    ]);
    expect(smoothDistribution([0, 0])).toBeUndefined();
  });
});
