import { describe, expect, it } from 'vitest';

import { QuantizeGraphError } from '../../src/quantize-graph/quantize-graph-errors.js';
import type { QuantizeGraphErrorCode } from '../../src/quantize-graph/quantize-graph-errors.js';
import { QUANTIZE_GRAPH_ERROR_CODES } from '../../src/quantize-graph/quantize-graph-errors.js';
import { quantizeDynamic, type DynamicOpType } from '../../src/quantize-graph/quantize-dynamic.js';
import { quantizeStatic } from '../../src/quantize-graph/quantize-static.js';
import type { CalibrationBatch } from '../../src/quantize-graph/calibrate-activations.js';
import type { StaticOpType } from '../../src/quantize-graph/qdq-plan.js';
import { feedsFor, matMulAddModel, noWeightModel } from './test-models.js';

async function codeOf(run: () => unknown): Promise<QuantizeGraphErrorCode | undefined> {
  try {
    await run();
  } catch (err) {
    expect(err).toBeInstanceOf(QuantizeGraphError);
    return (err as QuantizeGraphError).code;
  }
  return undefined;
}

describe('rejects a model with nothing to quantize', () => {
  it('dynamic: no float weights', async () => {
    expect(await codeOf(() => quantizeDynamic(noWeightModel()))).toBe('EF_COMPILE_QUANT_NOTHING');
  });
  it('static: no float weights', async () => {
    expect(await codeOf(() => quantizeStatic(noWeightModel(), [feedsFor([2, 4])]))).toBe(
      'EF_COMPILE_QUANT_NOTHING',
    );
  });
});

describe('rejects an opset too old', () => {
  it('static per-channel below opset 13', async () => {
    const calibration = [feedsFor([2, 16])];
    expect(await codeOf(() => quantizeStatic(matMulAddModel(12), calibration))).toBe(
      'EF_COMPILE_QUANT_OPSET',
    );
  });
  it('static per-tensor works at opset 12 but not 9', async () => {
    const calibration = [feedsFor([2, 16])];
    const { report } = await quantizeStatic(matMulAddModel(12), calibration, { perChannel: false });
    expect(report.quantizedNodes).toHaveLength(1);
    expect(
      await codeOf(() => quantizeStatic(matMulAddModel(9), calibration, { perChannel: false })),
    ).toBe('EF_COMPILE_QUANT_OPSET');
  });
  it('dynamic below opset 11 (DynamicQuantizeLinear)', async () => {
    expect(await codeOf(() => quantizeDynamic(matMulAddModel(10)))).toBe('EF_COMPILE_QUANT_OPSET');
  });
});

describe('rejects bad calibration', () => {
  it('an empty array', async () => {
    expect(await codeOf(() => quantizeStatic(matMulAddModel(), []))).toBe(
      'EF_COMPILE_QUANT_NO_CALIBRATION',
    );
  });
  it('an empty stream', async () => {
    async function* none(): AsyncGenerator<CalibrationBatch> {}
    expect(await codeOf(() => quantizeStatic(matMulAddModel(), none()))).toBe(
      'EF_COMPILE_QUANT_NO_CALIBRATION',
    );
  });
  it('a batch without the model input, or with data not matching its dims', async () => {
    const wrongName = { other: feedsFor([2, 16]).x! };
    expect(await codeOf(() => quantizeStatic(matMulAddModel(), [wrongName]))).toBe(
      'EF_COMPILE_QUANT_CALIBRATION_INPUT',
    );
    const wrongDims = { x: { data: new Float32Array(5), dims: [2, 16] } };
    expect(await codeOf(() => quantizeStatic(matMulAddModel(), [wrongDims]))).toBe(
      'EF_COMPILE_QUANT_CALIBRATION_INPUT',
    );
  });
  it('a batch onnxruntime cannot run (wrong width)', async () => {
    expect(await codeOf(() => quantizeStatic(matMulAddModel(), [feedsFor([2, 15])]))).toBe(
      'EF_COMPILE_QUANT_CALIBRATION_RUN',
    );
  });
});

describe('rejects bad options', () => {
  it('unknown op types, methods, negative minWeightElements', async () => {
    const model = matMulAddModel();
    const calibration = [feedsFor([2, 16])];
    expect(await codeOf(() => quantizeDynamic(model, { opTypes: ['LSTM' as DynamicOpType] }))).toBe(
      'EF_COMPILE_QUANT_OPTIONS',
    );
    expect(await codeOf(() => quantizeDynamic(model, { minWeightElements: -1 }))).toBe(
      'EF_COMPILE_QUANT_OPTIONS',
    );
    expect(
      await codeOf(() =>
        quantizeStatic(model, calibration, { opTypes: ['Softmax' as StaticOpType] }),
      ),
    ).toBe('EF_COMPILE_QUANT_OPTIONS');
    expect(
      await codeOf(() => quantizeStatic(model, calibration, { method: 'kl' as 'entropy' })),
    ).toBe('EF_COMPILE_QUANT_OPTIONS');
  });
});

describe('error catalogue', () => {
  it('every code has a sentence and does not clash with the arithmetic codes', () => {
    for (const [code, text] of Object.entries(QUANTIZE_GRAPH_ERROR_CODES)) {
      expect(code).toMatch(/^EF_COMPILE_QUANT_[A-Z_]+$/);
      expect([
        'EF_COMPILE_QUANT_RANGE',
        'EF_COMPILE_QUANT_PARAMS',
        'EF_COMPILE_QUANT_SHAPE',
      ]).not.toContain(code);
      expect(text).toMatch(/^[A-Z].*\.$/);
    }
  });
});
