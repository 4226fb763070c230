import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { decodeTensor, findInitializer } from '../../src/onnx/index.js';
import type { OnnxModel } from '../../src/onnx/index.js';
import { quantizeDynamic } from '../../src/quantize-graph/quantize-dynamic.js';
import { quantizeStatic } from '../../src/quantize-graph/quantize-static.js';
import { loadSimplified, tabularBatches, tabularCsvBatches } from './fixture-data.js';

/**
 * Bit-exact agreement with onnxruntime 1.30's Python quantizer (golden/make-golden.py wrote the
 * JSON once): quantized weights, scales and zero points, including the Gemm transB transpose
 * of the dynamic path and the untransposed per-channel (axis 0) weights of the static path.
 * The calibrated (minmax) golden was computed on golden/pm-calibration.csv, a frozen copy of
 * the pm calibration split it was made from, so regenerating fixtures/ does not invalidate it.
 */
interface GoldenWeight {
  dims: number[];
  quantized: number[];
  scales: number[];
  zeroPoints: number[];
}
type GoldenSet = Record<string, GoldenWeight>;

const HERE = dirname(fileURLToPath(import.meta.url));
const golden = JSON.parse(
  readFileSync(join(HERE, 'golden', 'quantize-graph-golden.json'), 'utf8'),
) as Record<string, GoldenSet>;

function expectSameWeights(model: OnnxModel, expected: GoldenSet | undefined): void {
  expect(expected).toBeDefined();
  for (const [name, want] of Object.entries(expected ?? {})) {
    const read = (suffix: string): { data: number[]; dims: number[] } => {
      const tensor = findInitializer(model.graph, `${name}_${suffix}`);
      expect(tensor, `${name}_${suffix}`).toBeDefined();
      const decoded = decodeTensor(tensor!);
      return { data: Array.from(decoded.data as ArrayLike<number>), dims: decoded.dims };
    };
    const quantized = read('quantized');
    expect(quantized.dims).toEqual(want.dims);
    expect(quantized.data).toEqual(want.quantized);
    expect(read('scale').data).toEqual(want.scales);
    expect(read('zero_point').data).toEqual(want.zeroPoints);
  }
}

describe('matches onnxruntime quantize_dynamic / quantize_static on pm-mlp', () => {
  it(`dynamic per-channel (onnxruntime ${String(golden.onnxruntime)})`, () => {
    const { model } = quantizeDynamic(loadSimplified('pm-mlp'), { perChannel: true });
    expectSameWeights(model, golden.pmDynamicPerChannel);
  });

  it('dynamic per-tensor', () => {
    const { model } = quantizeDynamic(loadSimplified('pm-mlp'), { perChannel: false });
    expectSameWeights(model, golden.pmDynamicPerTensor);
  });

  it('dynamic Conv weight uint8 per tensor (retail-cnn first Conv)', () => {
    const { model } = quantizeDynamic(loadSimplified('retail-cnn'), { opTypes: ['Conv'] });
    expectSameWeights(model, golden.retailConvUint8);
  });

  it('static QDQ per-channel weights (Gemm transB=1, axis 0)', async () => {
    const { batches } = tabularBatches('pm', 'calibration');
    const { model } = await quantizeStatic(loadSimplified('pm-mlp'), batches.slice(0, 2));
    expectSameWeights(model, golden.pmStaticPerChannel);
  });
});

describe('matches onnxruntime quantize_static (minmax) on the golden pm calibration rows', () => {
  interface StaticGolden {
    activations: Record<string, { scale: number; zeroPoint: number }>;
    biases: Record<string, { quantized: number[]; scales: number[] }>;
  }
  const want = golden.pmStaticMinMax as unknown as StaticGolden;

  it('activation scales/zero points and int32 biases', async () => {
    const { batches } = tabularCsvBatches('pm', join(HERE, 'golden', 'pm-calibration.csv'));
    const { model } = await quantizeStatic(loadSimplified('pm-mlp'), batches, { method: 'minmax' });
    const value = (name: string): number[] => {
      const tensor = findInitializer(model.graph, name);
      expect(tensor, name).toBeDefined();
      return Array.from(decodeTensor(tensor!).data as ArrayLike<number>);
    };
    for (const [tensor, params] of Object.entries(want.activations)) {
      expect(value(`${tensor}_scale`), tensor).toEqual([params.scale]);
      expect(value(`${tensor}_zero_point`), tensor).toEqual([params.zeroPoint]);
    }
    for (const [name, bias] of Object.entries(want.biases)) {
      expect(value(name), name).toEqual(bias.quantized);
      expect(value(`${name}_scale`), name).toEqual(bias.scales);
    }
  });
});
