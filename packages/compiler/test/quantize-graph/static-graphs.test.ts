import { describe, expect, it } from 'vitest';

import { decodeTensor, findInitializer, getAttrInt } from '../../src/onnx/index.js';
import type { OnnxModel } from '../../src/onnx/index.js';
import { quantizeStatic } from '../../src/quantize-graph/quantize-static.js';
import type { CalibrationBatch } from '../../src/quantize-graph/calibrate-activations.js';
import { loadSimplified, tabularBatches } from './fixture-data.js';
import { maxDiff, optimizedOpTypes, opTypes } from './ort-helpers.js';
import {
  convModel,
  feedsFor,
  gemmModel,
  matMulAddModel,
  otherDomainModel,
  runOnce,
  sharedWeightModel,
} from './test-models.js';

/**
 * quantizeStatic on hand-built graphs, calibrated on 4 seeded batches and compared with the
 * float model on another seeded batch. Tolerance: 8% of the largest |fp32 output| (input and
 * output are both 8-bit: two rounding steps of 1/255 of their ranges plus the weight step).
 */
const TOLERANCE = 0.08;

function calibration(shape: number[]): CalibrationBatch[] {
  return [1, 2, 3, 4].map((seed) => feedsFor(shape, 100 + seed));
}

async function expectCloseToFloat(fp32: OnnxModel, qdq: OnnxModel, shape: number[]): Promise<void> {
  const feed = feedsFor(shape, 7);
  const { diff, scale } = maxDiff(await runOnce(qdq, feed), await runOnce(fp32, feed));
  expect(diff).toBeLessThanOrEqual(TOLERANCE * Math.max(1, scale));
}

describe('quantizeStatic rewrites (QDQ)', () => {
  it('MatMul: per-channel DQ on axis 1, fused into QLinearMatMul', async () => {
    const fp32 = matMulAddModel();
    const { model, report } = await quantizeStatic(fp32, calibration([8, 16]));
    expect(report.quantizedNodes).toEqual([
      { name: 'mm', opType: 'MatMul', weight: 'W', scheme: 'int8-per-channel-symmetric' },
    ]);
    const weightDq = model.graph.node.find((n) => n.input[0] === 'W_quantized');
    expect(weightDq && getAttrInt(weightDq, 'axis')).toBe(1);
    expect(await optimizedOpTypes(model)).toContain('QLinearMatMul');
    await expectCloseToFloat(fp32, model, [8, 16]);
  });

  for (const withBias of [true, false]) {
    it(`Conv ${withBias ? 'with' : 'without'} bias + Relu: QLinearConv, Relu absorbed`, async () => {
      const fp32 = convModel(withBias);
      const { model, report } = await quantizeStatic(fp32, calibration([2, 4, 8, 8]));
      expect(report.fusedRelu).toEqual(['relu']);
      expect(opTypes(model)).not.toContain('Relu');
      if (withBias) {
        const bias = decodeTensor(findInitializer(model.graph, 'B_quantized')!);
        expect(bias.elementType).toBe('int32');
      }
      expect(await optimizedOpTypes(model)).toContain('QLinearConv');
      await expectCloseToFloat(fp32, model, [2, 4, 8, 8]);
    });
  }

  it('int8 activations: signed zero points, still fused into QLinearConv', async () => {
    const fp32 = convModel(true);
    const { model } = await quantizeStatic(fp32, calibration([2, 4, 8, 8]), {
      activationType: 'int8',
    });
    expect(decodeTensor(findInitializer(model.graph, 'x_zero_point')!).elementType).toBe('int8');
    expect(await optimizedOpTypes(model)).toContain('QLinearConv');
    await expectCloseToFloat(fp32, model, [2, 4, 8, 8]);
  });

  it('Gemm transB=1: weight stays [N, K] with axis 0, int32 bias', async () => {
    const fp32 = gemmModel();
    const { model } = await quantizeStatic(fp32, calibration([4, 16]));
    expect(decodeTensor(findInitializer(model.graph, 'B_quantized')!).dims).toEqual([32, 16]);
    expect(decodeTensor(findInitializer(model.graph, 'C_quantized')!).elementType).toBe('int32');
    await expectCloseToFloat(fp32, model, [4, 16]);
  });

  it('shared weights get one quantized copy and one DequantizeLinear', async () => {
    const fp32 = sharedWeightModel();
    const { model } = await quantizeStatic(fp32, calibration([3, 16]));
    const weightDqs = model.graph.node.filter((n) => n.input[0] === 'W_quantized');
    expect(weightDqs).toHaveLength(1);
    await expectCloseToFloat(fp32, model, [3, 16]);
  });

  it('other-domain nodes are untouched; per-tensor mode has no axis', async () => {
    const fp32 = otherDomainModel();
    const { model, report } = await quantizeStatic(fp32, calibration([3, 16]), {
      perChannel: false,
    });
    expect(report.quantizedNodes[0]?.scheme).toBe('int8-per-tensor-symmetric');
    const gelu = model.graph.node.find((n) => n.opType === 'Gelu');
    expect(gelu?.domain).toBe('com.microsoft');
    expect(gelu?.attribute).toEqual([]);
    await expectCloseToFloat(fp32, model, [3, 16]);
  });

  it('percentile and entropy calibration from an async stream, progress without a total', async () => {
    const { batches } = tabularBatches('pm', 'calibration');
    for (const method of ['percentile', 'entropy'] as const) {
      async function* stream(): AsyncGenerator<CalibrationBatch> {
        yield* batches;
      }
      const progress: [number, number | undefined][] = [];
      const { report } = await quantizeStatic(loadSimplified('pm-mlp'), stream(), {
        method,
        onProgress: (done, total) => progress.push([done, total]),
      });
      expect(report.method).toBe(method);
      expect(progress.at(-1)).toEqual([batches.length, undefined]);
    }
  });
});
