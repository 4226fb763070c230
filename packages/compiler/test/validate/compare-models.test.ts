import { readFileSync } from 'node:fs';
import path from 'node:path';

import { ModelSession, type ImagePreprocessSpec, type OutputTensor } from '@edgefleet/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { DataError } from '../../src/data/data-errors.js';
import { datasetBatches } from '../../src/data/dataset-batches.js';
import { datasetSize, loadDataset } from '../../src/data/load-dataset.js';
import { compareModels, type ComparisonBatch } from '../../src/validate/compare-models.js';
import { gate } from '../../src/validate/gate.js';
import { ValidateError } from '../../src/validate/validate-errors.js';
import { DATA, FIXTURES, MODELS, VIBRATION_SPEC, readTabularSpec } from '../data/helpers.js';

interface FixtureMetrics {
  eval: {
    accuracy?: number;
    macroF1?: number;
    perClassF1?: number[];
    mse?: number;
    mae?: number;
    r2?: number;
  };
}
const METRICS = JSON.parse(readFileSync(path.join(FIXTURES, 'metrics.json'), 'utf8')) as Record<
  string,
  FixtureMetrics
>;

const sessions = new Map<string, ModelSession>();
async function session(name: string): Promise<ModelSession> {
  let s = sessions.get(name);
  if (s === undefined) {
    // One thread: the test machine is shared, and results do not depend on it.
    s = await ModelSession.load(path.join(MODELS, name), { intraOpThreads: 1 });
    sessions.set(name, s);
  }
  return s;
}
beforeAll(async () => {
  await session('pm-mlp.onnx');
});
afterAll(async () => {
  await Promise.all([...sessions.values()].map((s) => s.release()));
});

describe('compareModels on the fixture models, the same model as fp32 and candidate', () => {
  it('pm-mlp on pm/eval.csv with pm preprocess.json: agreement 1, maxAbsDiff 0, the committed fp32 metrics', async () => {
    const model = await session('pm-mlp.onnx');
    const preprocess = await readTabularSpec('pm');
    const data = await loadDataset(path.join(DATA, 'pm', 'eval.csv'), {
      task: 'classification',
      features: preprocess.features,
      classCount: 5,
    });
    const progress: Array<[number, number | undefined]> = [];
    const result = await compareModels({
      fp32: model,
      candidate: model,
      task: 'classification',
      batches: datasetBatches(data, {
        preprocess,
        inputShape: model.inputs[0]!.shape,
        batchSize: 512,
      }),
      total: datasetSize(data),
      onProgress: (done, total) => progress.push([done, total]),
    });
    expect(result.task).toBe('classification');
    if (result.task !== 'classification') return;
    expect(result.samples).toBe(3000);
    expect(result.outputName).toBe('logits');
    expect(result.agreement).toBe(1);
    expect(result.maxAbsDiff).toBe(0);
    expect(result.candidate).toEqual(result.fp32);
    const expected = METRICS['pm-mlp.onnx']!.eval;
    expect(result.fp32.accuracy).toBeCloseTo(expected.accuracy!, 4);
    expect(result.fp32.macroF1).toBeCloseTo(expected.macroF1!, 4);
    result.fp32.perClass.forEach((c, i) => expect(c.f1).toBeCloseTo(expected.perClassF1![i]!, 4));
    expect(result.fp32.perClass.map((c) => c.support)).toEqual([2859, 15, 44, 39, 43]);
    expect(progress.at(-1)).toEqual([3000, 3000]);
    expect(progress).toHaveLength(6);
    expect(
      gate({
        task: 'classification',
        fp32Metric: result.fp32.accuracy,
        candidateMetric: result.candidate.accuracy,
      }).passed,
    ).toBe(true);
  });

  it('vibration-cnn on vibration/eval.jsonl: agreement 1, maxAbsDiff 0', async () => {
    const model = await session('vibration-cnn.onnx');
    const data = await loadDataset(path.join(DATA, 'vibration', 'eval.jsonl'), {
      task: 'classification',
      classCount: 4,
      sampleShape: model.inputs[0]!.shape.slice(1),
    });
    const result = await compareModels({
      fp32: model,
      candidate: model,
      task: 'classification',
      batches: datasetBatches(data, {
        preprocess: VIBRATION_SPEC,
        inputShape: model.inputs[0]!.shape,
      }),
    });
    if (result.task !== 'classification') throw new Error('expected classification');
    expect(result.samples).toBe(320);
    expect(result.agreement).toBe(1);
    expect(result.maxAbsDiff).toBe(0);
    expect(result.fp32.accuracy).toBeCloseTo(METRICS['vibration-cnn.onnx']!.eval.accuracy!, 4);
  });

  it('house-mlp (regression, imputed missing values): the committed MSE, MAE and R²', async () => {
    const model = await session('house-mlp.onnx');
    const preprocess = await readTabularSpec('house');
    const data = await loadDataset(path.join(DATA, 'house', 'eval.csv'), {
      task: 'regression',
      features: preprocess.features,
    });
    const result = await compareModels({
      fp32: model,
      candidate: model,
      task: 'regression',
      batches: datasetBatches(data, { preprocess, inputShape: model.inputs[0]!.shape }),
    });
    if (result.task !== 'regression') throw new Error('expected regression');
    expect(result.agreement).toBeNull();
    expect(result.maxAbsDiff).toBe(0);
    const expected = METRICS['house-mlp.onnx']!.eval;
    expect(result.fp32.mse).toBeCloseTo(expected.mse!, 1);
    expect(result.fp32.mae).toBeCloseTo(expected.mae!, 2);
    expect(result.fp32.r2).toBeCloseTo(expected.r2!, 3);
  });

  it('retail-cnn on the retail/eval image folder with retail preprocess.json', async () => {
    const model = await session('retail-cnn.onnx');
    const preprocess = JSON.parse(
      readFileSync(path.join(DATA, 'retail', 'preprocess.json'), 'utf8'),
    ) as ImagePreprocessSpec;
    const data = await loadDataset(path.join(DATA, 'retail', 'eval'), {
      task: 'classification',
      classCount: 4,
    });
    const result = await compareModels({
      fp32: model,
      candidate: model,
      task: 'classification',
      batches: datasetBatches(data, {
        preprocess,
        inputShape: model.inputs[0]!.shape,
        batchSize: 25,
      }),
    });
    if (result.task !== 'classification') throw new Error('expected classification');
    expect(result.samples).toBe(100);
    expect(result.agreement).toBe(1);
    expect(result.fp32.accuracy).toBeCloseTo(METRICS['retail-cnn.onnx']!.eval.accuracy!, 2);
  });
});

/** A stand-in session returning fixed logits: exact control over disagreements. */
function fakeSession(name: string, logits: number[][]): ModelSession {
  let at = 0;
  const fake = {
    inputs: [{ name: 'x', type: 'float32', shape: ['batch', 1] }],
    outputs: [{ name, type: 'float32', shape: ['batch', logits[0]!.length] }],
    run: async (
      feeds: Record<string, { dims: readonly number[] }>,
    ): Promise<Record<string, OutputTensor>> => {
      const n = feeds.x!.dims[0]!;
      const rows = logits.slice(at, at + n);
      at += n;
      return {
        [name]: {
          data: Float32Array.from(rows.flat()),
          dims: [n, rows[0]!.length],
          type: 'float32',
        },
      };
    },
  };
  return fake as unknown as ModelSession;
}

function batchesOf(labels: number[][]): ComparisonBatch[] {
  return labels.map((l) => ({
    feeds: { x: { data: new Float32Array(l.length), dims: [l.length, 1] } },
    labels: l,
  }));
}

describe('compareModels with differing models', () => {
  it('reports agreement, both metric sets and the largest output difference', async () => {
    const fp32 = fakeSession('y', [
      [2, 0, 0],
      [0, 2, 0],
      [0, 0, 2],
      [2, 0, 0],
    ]);
    const candidate = fakeSession('y', [
      [2, 0, 0],
      [0, 2, 0],
      [0, 2.5, 2], // flips class 2 -> 1
      [2, 0.25, 0],
    ]);
    const result = await compareModels({
      fp32,
      candidate,
      task: 'classification',
      batches: batchesOf([
        [0, 1],
        [2, 0],
      ]),
    });
    if (result.task !== 'classification') throw new Error('expected classification');
    expect(result.agreement).toBe(0.75);
    expect(result.fp32.accuracy).toBe(1);
    expect(result.candidate.accuracy).toBe(0.75);
    expect(result.maxAbsDiff).toBe(2.5);
    expect(result.meanAbsDiff).toBeCloseTo(2.75 / 12, 6);
    expect(gate({ task: 'classification', fp32Metric: 1, candidateMetric: 0.75 }).passed).toBe(
      false,
    );
  });

  it('scores a regression candidate and gates its MSE', async () => {
    const fp32 = fakeSession('price', [[1], [2], [3], [4]]);
    const candidate = fakeSession('price', [[1.5], [2], [3], [4]]);
    const result = await compareModels({
      fp32,
      candidate,
      task: 'regression',
      batches: batchesOf([[1, 2, 3, 5]]),
    });
    if (result.task !== 'regression') throw new Error('expected regression');
    expect(result.fp32.mse).toBe(0.25); // (0 + 0 + 0 + 1) / 4
    expect(result.candidate.mse).toBe(0.3125); // (0.25 + 0 + 0 + 1) / 4
    expect(result.maxAbsDiff).toBe(0.5);
    expect(
      gate({
        task: 'regression',
        fp32Metric: result.fp32.mse,
        candidateMetric: result.candidate.mse,
      }).passed,
    ).toBe(false);
  });
});

describe('rejects models and labels that cannot be compared', () => {
  it('a candidate without the fp32 output name (EF_COMPILE_VALIDATE_OUTPUT)', async () => {
    const err = await compareModels({
      fp32: fakeSession('y', [[1, 0]]),
      candidate: fakeSession('z', [[1, 0]]),
      task: 'classification',
      batches: batchesOf([[0]]),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidateError);
    expect((err as ValidateError).code).toBe('EF_COMPILE_VALIDATE_OUTPUT');
    expect((err as ValidateError).message).toContain('no output "y"');
  });

  it('a label beyond the model classes, naming the sample (EF_COMPILE_DATA_LABEL)', async () => {
    const err = await compareModels({
      fp32: fakeSession('y', [
        [1, 0],
        [1, 0],
      ]),
      candidate: fakeSession('y', [
        [1, 0],
        [1, 0],
      ]),
      task: 'classification',
      batches: batchesOf([[0], [2]]),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).code).toBe('EF_COMPILE_DATA_LABEL');
    expect((err as DataError).message).toContain('sample 1: label 2');
  });

  it('a multi-value output for regression (EF_COMPILE_VALIDATE_OUTPUT)', async () => {
    const err = await compareModels({
      fp32: fakeSession('y', [[1, 0]]),
      candidate: fakeSession('y', [[1, 0]]),
      task: 'regression',
      batches: batchesOf([[0]]),
    }).catch((e: unknown) => e);
    expect((err as ValidateError).code).toBe('EF_COMPILE_VALIDATE_OUTPUT');
  });

  it('no batches at all (EF_COMPILE_VALIDATE_EMPTY)', async () => {
    const err = await compareModels({
      fp32: fakeSession('y', [[1, 0]]),
      candidate: fakeSession('y', [[1, 0]]),
      task: 'classification',
      batches: [],
    }).catch((e: unknown) => e);
    expect((err as ValidateError).code).toBe('EF_COMPILE_VALIDATE_EMPTY');
  });
});
