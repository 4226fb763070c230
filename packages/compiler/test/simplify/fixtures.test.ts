import { describe, expect, it } from 'vitest';

import { simplifyModel } from '../../src/simplify/index.js';
import { compareModels, seededFeeds } from './ort-compare.js';
import { FIXTURE_MODELS, fixtureExists, inputShapes, loadFixture } from './fixture-models.js';
import { opTypes } from './test-models.js';

/**
 * The committed fixture models, simplified and run in onnxruntime-node on
 * seeded random inputs in [-1, 1). Tolerance: |simplified - original| <=
 * 1e-5 * max(1, max|original|), i.e. 1e-5 absolute for outputs of magnitude <= 1
 * and relative beyond (float32 spacing at 32 is already 3.8e-6, and folding
 * BatchNorm into weights changes the order of float32 roundings).
 */
const TOLERANCE = 1e-5;

describe('simplifies the fixture models', () => {
  for (const fixture of FIXTURE_MODELS) {
    it.skipIf(!fixtureExists(fixture))(fixture.name, async () => {
      const { bytes, model: original } = loadFixture(fixture);
      const { model, report } = simplifyModel(original);
      for (const op of ['BatchNormalization', 'Identity', 'Dropout'])
        expect(opTypes(model)).not.toContain(op);
      if (fixture.hasBatchNorm) expect(report.foldedBatchNorms).toBeGreaterThan(0);
      expect(model.graph.output.map((v) => v.name)).toEqual(
        original.graph.output.map((v) => v.name),
      );
      const diffs = await compareModels(bytes, model, seededFeeds(inputShapes(original), 400));
      for (const { diff, scale } of Object.values(diffs))
        expect(diff).toBeLessThanOrEqual(TOLERANCE * Math.max(1, scale));
    });
  }
});
