import { describe, expect, it } from 'vitest';

import { TensorDataType, getModelIo, writeOnnxModel } from '../../src/onnx/index.js';
import { convertToFloat16 } from '../../src/fp16/index.js';
import { simplifyModel } from '../../src/simplify/index.js';
import { compareModels, seededFeeds } from '../simplify/ort-compare.js';
import {
  FIXTURE_MODELS,
  fixtureExists,
  inputShapes,
  loadFixture,
} from '../simplify/fixture-models.js';

/**
 * The fixture models converted to float16 (after simplification, as the
 * compiler pipeline does) and run in onnxruntime-node against float32.
 *
 * Tolerance: |fp16 - fp32| <= 1e-2 * max(1, max|fp32|). float16 keeps 11
 * significant bits (unit roundoff 2^-11 = 4.9e-4); each layer rounds its
 * weights and activations once more, and these models have at most five
 * layers, so errors of a few 1e-4 of the output scale are expected (observed:
 * at most ~4e-4); 1e-2 leaves headroom while a wrong Cast or an unconverted
 * input would give errors of the order of the outputs themselves.
 */
const TOLERANCE = 1e-2;

describe('converts the fixture models to float16', () => {
  for (const fixture of FIXTURE_MODELS) {
    it.skipIf(!fixtureExists(fixture))(fixture.name, async () => {
      const { bytes, model: original } = loadFixture(fixture);
      const { model, report } = convertToFloat16(simplifyModel(original).model, {
        keepIoFloat32: true,
      });
      const io = getModelIo(model);
      expect(io).toEqual(getModelIo(original));
      for (const value of [...io.inputs, ...io.outputs]) expect(value.elementType).toBe('float32');
      expect(model.graph.initializer.length).toBeGreaterThan(0);
      for (const tensor of model.graph.initializer)
        expect(tensor.dataType).toBe(TensorDataType.FLOAT16);
      expect(report.convertedInitializers).toBe(model.graph.initializer.length);
      expect(report.keptFp32Nodes).toEqual([]);
      // One Cast after the input, one before the output.
      expect(report.castsInserted).toBe(io.inputs.length + io.outputs.length);

      const diffs = await compareModels(bytes, model, seededFeeds(inputShapes(original), 500));
      for (const { diff, scale, type } of Object.values(diffs)) {
        expect(type).toBe('float32');
        expect(diff).toBeLessThanOrEqual(TOLERANCE * Math.max(1, scale));
      }
      const halfBytes = writeOnnxModel(model).byteLength;
      // Weights dominate all but the tiny test fixtures, whose graph overhead is most of the file.
      if (bytes.byteLength > 4096) expect(halfBytes / bytes.byteLength).toBeLessThan(0.6);
      else expect(halfBytes).toBeLessThan(bytes.byteLength);
    });
  }
});
