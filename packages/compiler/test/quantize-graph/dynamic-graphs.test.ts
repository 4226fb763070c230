import { describe, expect, it } from 'vitest';

import {
  decodeTensor,
  findInitializer,
  makeAttrInt,
  makeInitializer,
  makeNode,
} from '../../src/onnx/index.js';
import { randomFloats } from '../onnx/helpers.js';
import type { OnnxModel } from '../../src/onnx/index.js';
import { quantizeDynamic } from '../../src/quantize-graph/quantize-dynamic.js';
import { maxDiff, opTypes } from './ort-helpers.js';
import {
  convModel,
  feedsFor,
  gemmModel,
  matMulAddModel,
  modelOf,
  otherDomainModel,
  runOnce,
  sharedWeightModel,
} from './test-models.js';

/**
 * quantizeDynamic on hand-built graphs, run in onnxruntime against the float model on seeded
 * inputs in [-1, 1). Tolerance: 5% of the largest |fp32 output| (one uint8 activation step is
 * 1/127.5 of the input range, one int8 weight step 1/127 of each column's range; summed over
 * K = 16..36 products they stay well inside).
 */
const TOLERANCE = 0.05;

async function expectCloseToFloat(
  fp32: OnnxModel,
  int8: OnnxModel,
  shape: number[],
): Promise<void> {
  const feed = feedsFor(shape);
  const { diff, scale } = maxDiff(await runOnce(int8, feed), await runOnce(fp32, feed));
  expect(diff).toBeLessThanOrEqual(TOLERANCE * Math.max(1, scale));
}

describe('quantizeDynamic rewrites', () => {
  it('MatMul + Add: MatMulInteger per-channel, the Add stays float', async () => {
    const fp32 = matMulAddModel();
    const { model, report } = quantizeDynamic(fp32, { minWeightElements: 0 });
    expect(opTypes(model)).toEqual([
      'DynamicQuantizeLinear',
      'Mul',
      'MatMulInteger',
      'Cast',
      'Mul',
      'Add',
      'Relu',
    ]);
    expect(report.quantizedNodes).toEqual([
      { name: 'mm', opType: 'MatMul', weight: 'W', scheme: 'int8-per-channel-symmetric' },
    ]);
    expect(findInitializer(model.graph, 'W')).toBeUndefined();
    expect(decodeTensor(findInitializer(model.graph, 'W_scale')!).dims).toEqual([32]);
    expect(report.weightBytesAfter).toBeLessThan(report.weightBytesBefore / 2);
    await expectCloseToFloat(fp32, model, [5, 16]);
  });

  it('MatMul per-tensor: scalar scale and zero point', async () => {
    const { model, report } = quantizeDynamic(matMulAddModel(), {
      perChannel: false,
      minWeightElements: 0,
    });
    expect(report.quantizedNodes[0]?.scheme).toBe('int8-per-tensor-symmetric');
    expect(decodeTensor(findInitializer(model.graph, 'W_scale')!).dims).toEqual([]);
    await expectCloseToFloat(matMulAddModel(), model, [5, 16]);
  });

  it('Gemm transB=1: weight transposed to [K, N], bias added after', async () => {
    const fp32 = gemmModel();
    const { model } = quantizeDynamic(fp32, { minWeightElements: 0 });
    expect(opTypes(model)).toEqual([
      'DynamicQuantizeLinear',
      'Mul',
      'MatMulInteger',
      'Cast',
      'Mul',
      'Add',
    ]);
    expect(decodeTensor(findInitializer(model.graph, 'B_quantized')!).dims).toEqual([16, 32]);
    expect(model.graph.node.at(-1)?.input[1]).toBe('C');
    await expectCloseToFloat(fp32, model, [4, 16]);
  });

  it('Gemm without bias: the rescaling Mul writes the output', async () => {
    const fp32 = gemmModel({ bias: false });
    const { model } = quantizeDynamic(fp32, { minWeightElements: 0 });
    expect(opTypes(model)).not.toContain('Add');
    await expectCloseToFloat(fp32, model, [4, 16]);
  });

  it('Gemm alpha != 1 stays float and says why', () => {
    const { model, report } = quantizeDynamic(gemmModel({ alpha: 0.5 }), { minWeightElements: 0 });
    expect(opTypes(model)).toEqual(['Gemm']);
    expect(report.keptFp32).toEqual([
      { name: 'fc', opType: 'Gemm', reason: expect.stringContaining('alpha=0.5') },
    ]);
  });

  for (const withBias of [true, false]) {
    it(`Conv ${withBias ? 'with' : 'without'} bias: ConvInteger with a uint8 per-tensor weight`, async () => {
      const fp32 = convModel(withBias);
      const { model, report } = quantizeDynamic(fp32, { minWeightElements: 0 });
      const ops = opTypes(model);
      expect(ops).toContain('ConvInteger');
      expect(ops.includes('Reshape')).toBe(withBias);
      expect(report.quantizedNodes[0]?.scheme).toBe('uint8-per-tensor-asymmetric');
      const weight = decodeTensor(findInitializer(model.graph, 'W_quantized')!);
      expect(weight.elementType).toBe('uint8');
      await expectCloseToFloat(fp32, model, [2, 4, 8, 8]);
    });
  }

  it('a weight shared by two MatMuls is quantized once', async () => {
    const fp32 = sharedWeightModel();
    const { model, report } = quantizeDynamic(fp32, { minWeightElements: 0 });
    expect(report.quantizedNodes.map((n) => n.name)).toEqual(['mm1', 'mm2']);
    const names = model.graph.initializer.map((t) => t.name);
    expect(names.filter((n) => n?.startsWith('W_quantized'))).toEqual(['W_quantized']);
    await expectCloseToFloat(fp32, model, [3, 16]);
  });

  it('a tiny weight stays float32 (minWeightElements)', () => {
    // W has exactly 256 elements: the default threshold (256) still quantizes it.
    const { model, report } = quantizeDynamic(sharedWeightModel());
    expect(report.quantizedNodes).toHaveLength(2);
    const kept = quantizeDynamic(sharedWeightModel(), { minWeightElements: 257 });
    expect(opTypes(kept.model)).toEqual(['MatMul', 'Relu', 'MatMul']);
    expect(kept.report.keptFp32.map((k) => k.reason)).toEqual([
      expect.stringContaining('256 elements (< 257)'),
      expect.stringContaining('256 elements (< 257)'),
    ]);
    expect(kept.report.weightBytesAfter).toBe(kept.report.weightBytesBefore);
    expect(opTypes(model)).toContain('MatMulInteger');
  });

  it('nodes of other domains are untouched', async () => {
    const fp32 = otherDomainModel();
    const { model } = quantizeDynamic(fp32, { minWeightElements: 0 });
    const gelu = model.graph.node.find((n) => n.opType === 'Gelu');
    expect(gelu).toEqual(fp32.graph.node[1]);
    await expectCloseToFloat(fp32, model, [3, 16]);
  });

  it('nodesToExclude and opTypes leave nodes float', () => {
    const excluded = quantizeDynamic(sharedWeightModel(), {
      nodesToExclude: ['mm2'],
      minWeightElements: 0,
    });
    expect(excluded.report.quantizedNodes.map((n) => n.name)).toEqual(['mm1']);
    expect(excluded.report.keptFp32).toEqual([
      { name: 'mm2', opType: 'MatMul', reason: 'kept fp32: listed in nodesToExclude' },
    ]);
    expect(findInitializer(excluded.model.graph, 'W')).toBeDefined();
    const onlyConv = quantizeDynamic(matMulAddModel(), { opTypes: ['Conv'] });
    expect(opTypes(onlyConv.model)).toEqual(['MatMul', 'Add', 'Relu']);
  });

  it('LSTM stays float32 with the reason', () => {
    const hidden = 4;
    const fp32 = modelOf(
      [
        makeNode('MatMul', ['x', 'W'], ['h'], { name: 'mm' }),
        makeNode('LSTM', ['h', 'Wl', 'Rl'], ['seq'], {
          name: 'lstm',
          attributes: [makeAttrInt('hidden_size', hidden)],
        }),
      ],
      [2, 1, 16],
      ['seq'],
      [
        makeInitializer('W', randomFloats(16 * 8, 1), [16, 8]),
        makeInitializer('Wl', randomFloats(4 * hidden * 8, 2), [1, 4 * hidden, 8]),
        makeInitializer('Rl', randomFloats(4 * hidden * hidden, 3), [1, 4 * hidden, hidden]),
      ],
    );
    const { model, report } = quantizeDynamic(fp32, { minWeightElements: 0 });
    expect(report.keptFp32).toEqual([
      {
        name: 'lstm',
        opType: 'LSTM',
        reason: "kept fp32: onnxruntime's DynamicQuantizeLSTM is com.microsoft-only",
      },
    ]);
    expect(model.graph.node.find((n) => n.opType === 'LSTM')).toEqual(fp32.graph.node[1]);
  });

  it('does not modify its input', () => {
    const fp32 = matMulAddModel();
    const before = structuredClone(fp32);
    quantizeDynamic(fp32, { minWeightElements: 0 });
    expect(fp32).toEqual(before);
  });
});
