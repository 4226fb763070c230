import { describe, expect, it } from 'vitest';

import { quantizeDynamic } from '../../src/quantize-graph/quantize-dynamic.js';
import {
  loadSimplified,
  retailBatches,
  tabularBatches,
  vibrationBatches,
  type Batch,
} from './fixture-data.js';
import { maxDiff, opTypes, runBatches, topOneAgreement } from './ort-helpers.js';

/**
 * Dynamic int8 on the committed fixtures, run in onnxruntime-node on their calibration data.
 * Tolerances (measured, then given ~2x headroom): outputs within 5% of the fp32 output range for
 * the MLPs, 10% for the CNNs (uint8 per-tensor Conv weights are coarser than int8 per-channel).
 */
const FIXTURES: { name: string; batches: () => Promise<Batch[]>; tolerance: number }[] = [
  {
    name: 'pm-mlp',
    batches: async () => tabularBatches('pm', 'calibration').batches,
    tolerance: 0.05,
  },
  {
    name: 'house-mlp',
    batches: async () => tabularBatches('house', 'calibration').batches,
    tolerance: 0.05,
  },
  { name: 'vibration-cnn', batches: async () => vibrationBatches('calibration'), tolerance: 0.1 },
  { name: 'retail-cnn', batches: async () => retailBatches('calibration'), tolerance: 0.1 },
];

describe('quantizeDynamic on the fixture models', () => {
  for (const fixture of FIXTURES) {
    it(`${fixture.name}: loads, runs, stays close to fp32`, async () => {
      const fp32 = loadSimplified(fixture.name);
      const { model, report } = quantizeDynamic(fp32, { minWeightElements: 0 });
      expect(report.quantizedNodes.length).toBeGreaterThan(0);
      expect(opTypes(model)).toContain('DynamicQuantizeLinear');
      const batches = await fixture.batches();
      const expected = await runBatches(fp32, batches);
      const actual = await runBatches(model, batches);
      const { diff, scale } = maxDiff(actual.data, expected.data);
      console.info(
        `${fixture.name}: weight bytes ${report.weightBytesBefore} -> ${report.weightBytesAfter} (${(report.weightBytesAfter / report.weightBytesBefore).toFixed(3)}), max |diff| ${diff.toFixed(4)} of ${scale.toFixed(3)}, top-1 ${topOneAgreement(actual.data, expected.data, expected.width).toFixed(4)}`,
      );
      expect(diff).toBeLessThanOrEqual(fixture.tolerance * Math.max(1, scale));
    });
  }

  it('pm-mlp: top-1 agreement on the eval split >= 98%, weights about 1/4', async () => {
    const fp32 = loadSimplified('pm-mlp');
    const { model, report } = quantizeDynamic(fp32);
    const { batches } = tabularBatches('pm', 'eval');
    const expected = await runBatches(fp32, batches);
    const actual = await runBatches(model, batches);
    const agreement = topOneAgreement(actual.data, expected.data, expected.width);
    console.info(`pm-mlp dynamic eval top-1 agreement ${agreement.toFixed(4)}`);
    expect(agreement).toBeGreaterThanOrEqual(0.98);
    expect(report.weightBytesAfter / report.weightBytesBefore).toBeLessThan(0.32);
  });
});
