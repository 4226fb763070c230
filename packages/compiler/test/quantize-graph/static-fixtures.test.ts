import { describe, expect, it } from 'vitest';

import { quantizeStatic } from '../../src/quantize-graph/quantize-static.js';
import {
  loadSimplified,
  retailBatches,
  tabularBatches,
  vibrationBatches,
  type Batch,
} from './fixture-data.js';
import { maxDiff, optimizedOpTypes, opTypes, runBatches, topOneAgreement } from './ort-helpers.js';

/**
 * Static QDQ on the committed fixtures, calibrated and checked on their calibration split.
 * Tolerance: max |int8 - fp32| <= 10% of the fp32 output range (activations quantized to 8 bits
 * at every layer; measured values are printed). After onnxruntime's optimizer (level
 * 'extended'), the DQ -> Conv/MatMul/Gemm -> Q groups must be fused into QLinear kernels.
 */
const FIXTURES: { name: string; batches: () => Promise<Batch[]>; fused: string[] }[] = [
  {
    name: 'pm-mlp',
    batches: async () => tabularBatches('pm', 'calibration').batches,
    fused: ['QGemm'],
  },
  {
    name: 'house-mlp',
    batches: async () => tabularBatches('house', 'calibration').batches,
    fused: ['QGemm'],
  },
  {
    name: 'vibration-cnn',
    batches: async () => vibrationBatches('calibration'),
    fused: ['QLinearConv'],
  },
  { name: 'retail-cnn', batches: async () => retailBatches('calibration'), fused: ['QLinearConv'] },
];

describe('quantizeStatic (QDQ) on the fixture models', () => {
  for (const fixture of FIXTURES) {
    it(`${fixture.name}: QDQ pairs, fused by onnxruntime, close to fp32`, async () => {
      const fp32 = loadSimplified(fixture.name);
      const batches = await fixture.batches();
      const progress: [number, number | undefined][] = [];
      const { model, report } = await quantizeStatic(fp32, batches, {
        method: 'minmax',
        onProgress: (done, total) => progress.push([done, total]),
      });
      expect(progress.at(-1)).toEqual([batches.length, batches.length]);
      expect(report.calibrationBatches).toBe(batches.length);
      const ops = opTypes(model);
      expect(ops).toContain('QuantizeLinear');
      expect(ops).toContain('DequantizeLinear');
      const optimized = await optimizedOpTypes(model);
      for (const op of fixture.fused) expect(optimized).toContain(op);
      const expected = await runBatches(fp32, batches);
      const actual = await runBatches(model, batches);
      const { diff, scale } = maxDiff(actual.data, expected.data);
      console.info(
        `${fixture.name} static: bytes ${report.weightBytesBefore} -> ${report.weightBytesAfter}, max |diff| ${diff.toFixed(4)} of ${scale.toFixed(3)}, top-1 ${topOneAgreement(actual.data, expected.data, expected.width).toFixed(4)}, optimized ops ${[...new Set(optimized)].join(',')}`,
      );
      expect(diff).toBeLessThanOrEqual(0.1 * Math.max(1, scale));
    });
  }

  it('pm-mlp: top-1 agreement with fp32 on the eval split >= 97%', async () => {
    const fp32 = loadSimplified('pm-mlp');
    const { model } = await quantizeStatic(fp32, tabularBatches('pm', 'calibration').batches);
    const { batches } = tabularBatches('pm', 'eval');
    const expected = await runBatches(fp32, batches);
    const actual = await runBatches(model, batches);
    const agreement = topOneAgreement(actual.data, expected.data, expected.width);
    console.info(`pm-mlp static eval top-1 agreement ${agreement.toFixed(4)}`);
    expect(agreement).toBeGreaterThanOrEqual(0.97);
  });
});
