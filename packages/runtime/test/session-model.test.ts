import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { preprocessTabular } from '../src/preprocess/tabular-preprocess.js';
import { measureSessionLatency } from '../src/session/latency.js';
import { ModelSession } from '../src/session/model-session.js';
import { postprocess, softmax } from '../src/session/postprocess.js';
import { SessionError } from '../src/session/session-errors.js';
import { addBiasModel, linearModel } from './helpers/tiny-onnx.js';

const WEIGHTS = [
  [1, -1, 0.5],
  [0, 2, -0.25],
  [0.5, 0.5, 0.5],
  [-1, 0, 1],
];

/** TS reference for features[N, 4] x WEIGHTS, in float32 like onnxruntime. */
function matmul(x: Float32Array, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < 3; k++) {
      let sum = 0;
      for (let f = 0; f < 4; f++) sum += x[i * 4 + f]! * WEIGHTS[f]![k]!;
      out.push(sum);
    }
  }
  return out;
}

describe('ModelSession', () => {
  let add: ModelSession;
  let linear: ModelSession;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ef-session-'));
    add = await ModelSession.load(addBiasModel([1, 2, 3]), { intraOpThreads: 1 });
    const path = join(dir, 'linear.onnx');
    await writeFile(path, linearModel(WEIGHTS));
    linear = await ModelSession.load(path, { graphOptimization: 'basic' });
  });

  afterAll(async () => {
    await add.release();
    await linear.release();
    await rm(dir, { recursive: true, force: true });
  });

  it('exposes input and output names, dtypes and shapes', () => {
    expect(add.inputs).toEqual([{ name: 'X', type: 'float32', shape: ['N', 3] }]);
    expect(add.outputs).toEqual([{ name: 'Y', type: 'float32', shape: ['N', 3] }]);
    expect(linear.inputs).toEqual([{ name: 'features', type: 'float32', shape: ['batch', 4] }]);
  });

  it('runs Add and returns plain { data, dims, type } outputs', async () => {
    const out = await add.run({ X: { data: Float32Array.of(0, 0, 0, 1, 1, 1), dims: [2, 3] } });
    expect(out.Y).toEqual({
      data: Float32Array.of(1, 2, 3, 2, 3, 4),
      dims: [2, 3],
      type: 'float32',
    });
  });

  it('runs MatMul on preprocessed tabular rows, matching a TS reference', async () => {
    const tensor = preprocessTabular(
      {
        kind: 'tabular',
        input: 'features',
        features: ['a', 'b', 'c', 'd'].map((name, i) => ({ name, mean: i, std: 2 })),
      },
      [
        [1, 2, 3, 4],
        [0.5, -1, 7, -3],
      ],
    );
    const out = await linear.run({ features: tensor });
    expect(out.logits!.dims).toEqual([2, 3]);
    const expected = matmul(tensor.data, 2);
    [...(out.logits!.data as Float32Array)].forEach((v, i) => {
      expect(v).toBeCloseTo(expected[i]!, 5);
    });
  });

  it('feeds a model output into postprocess (logits -> softmax)', async () => {
    const out = await linear.run({ features: { data: Float32Array.of(1, 0, 0, 0), dims: [1, 4] } });
    const [result] = postprocess(out.logits!, {
      task: 'classification',
      labels: ['ok', 'worn', 'broken'],
    });
    expect(result!.classIndex).toBe(0);
    expect(result!.label).toBe('ok');
    softmax([1, -1, 0.5]).forEach((p, i) => expect(result!.scores[i]).toBeCloseTo(p, 6));
  });

  it('accepts a fixed batch dim of the right size', async () => {
    const fixed = await ModelSession.load(addBiasModel([0, 0, 0], 1));
    try {
      expect(fixed.inputs[0]!.shape).toEqual([1, 3]);
      const out = await fixed.run({ X: { data: Float32Array.of(1, 2, 3), dims: [1, 3] } });
      expect(out.Y!.data).toEqual(Float32Array.of(1, 2, 3));
    } finally {
      await fixed.release();
    }
  });

  it('measures batch-1 latency percentiles (sanity only)', async () => {
    const stats = await measureSessionLatency(
      add,
      { X: { data: Float32Array.of(1, 2, 3), dims: [1, 3] } },
      { warmupRuns: 2, runs: 20 },
    );
    expect(stats.runs).toBe(20);
    for (const v of [stats.p50, stats.p95, stats.p99, stats.mean]) {
      expect(v).toBeGreaterThan(0);
      expect(Number.isFinite(v)).toBe(true);
    }
    expect(stats.p50).toBeLessThanOrEqual(stats.p99);
  });

  describe('rejects feeds and models', () => {
    const x = { data: Float32Array.of(1, 2, 3), dims: [1, 3] };

    it('rejects an unknown feed name, listing the model inputs', async () => {
      await expect(add.run({ X: x, Z: x })).rejects.toMatchObject({
        code: 'EF_RUNTIME_FEED_NAME',
        details: { input: 'Z', expected: ['X'] },
      });
    });

    it('rejects a missing feed', async () => {
      await expect(add.run({})).rejects.toMatchObject({
        code: 'EF_RUNTIME_FEED_NAME',
        details: { input: 'X' },
      });
    });

    it('rejects a wrong dtype before onnxruntime sees it', async () => {
      await expect(
        add.run({ X: { data: Int32Array.of(1, 2, 3), dims: [1, 3] } }),
      ).rejects.toMatchObject({
        code: 'EF_RUNTIME_FEED_TYPE',
        details: { input: 'X', expected: 'float32', received: 'Int32Array' },
      });
    });

    it('rejects a declared type that differs from the model dtype', async () => {
      await expect(add.run({ X: { ...x, type: 'float64' } })).rejects.toMatchObject({
        code: 'EF_RUNTIME_FEED_TYPE',
      });
    });

    it('rejects a wrong rank', async () => {
      await expect(
        add.run({ X: { data: Float32Array.of(1, 2, 3), dims: [3] } }),
      ).rejects.toMatchObject({
        code: 'EF_RUNTIME_FEED_SHAPE',
        details: { input: 'X', expected: ['N', 3], received: [3] },
      });
    });

    it('rejects a wrong fixed dim', async () => {
      await expect(
        add.run({ X: { data: new Float32Array(4), dims: [1, 4] } }),
      ).rejects.toMatchObject({
        code: 'EF_RUNTIME_FEED_SHAPE',
        details: { input: 'X', received: [1, 4] },
      });
    });

    it('rejects dims that do not match the data length', async () => {
      await expect(
        add.run({ X: { data: new Float32Array(5), dims: [2, 3] } }),
      ).rejects.toMatchObject({
        code: 'EF_RUNTIME_FEED_SHAPE',
      });
    });

    it('rejects bytes that are not an ONNX model', async () => {
      const err = await ModelSession.load(Buffer.from('this is not a protobuf model')).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(SessionError);
      expect(err).toMatchObject({ code: 'EF_RUNTIME_MODEL_LOAD' });
      expect((err as Error).message).toMatch(/protobuf parsing failed/);
    });

    it('rejects empty model bytes', async () => {
      await expect(ModelSession.load(new Uint8Array(0))).rejects.toMatchObject({
        code: 'EF_RUNTIME_MODEL_LOAD',
      });
    });

    it('rejects a model file that does not exist', async () => {
      await expect(ModelSession.load(join(dir, 'missing.onnx'))).rejects.toMatchObject({
        code: 'EF_RUNTIME_MODEL_LOAD',
      });
    });

    it('rejects a model with an unknown operator', async () => {
      const { encodeTinyModel } = await import('./helpers/tiny-onnx.js');
      const bytes = encodeTinyModel({
        nodes: [{ opType: 'NoSuchOp', inputs: ['X'], outputs: ['Y'] }],
        inputs: [{ name: 'X', shape: [1] }],
        outputs: [{ name: 'Y', shape: [1] }],
      });
      await expect(ModelSession.load(bytes)).rejects.toMatchObject({
        code: 'EF_RUNTIME_MODEL_LOAD',
      });
    });

    it('rejects invalid session options', async () => {
      await expect(
        ModelSession.load(addBiasModel([0, 0, 0]), { intraOpThreads: 0 }),
      ).rejects.toMatchObject({ code: 'EF_RUNTIME_SESSION_OPTIONS' });
    });

    it('rejects a run after release', async () => {
      const s = await ModelSession.load(addBiasModel([0, 0, 0]));
      await s.release();
      await s.release(); // idempotent
      expect(s.released).toBe(true);
      await expect(s.run({ X: x })).rejects.toMatchObject({ code: 'EF_RUNTIME_SESSION_RELEASED' });
    });
  });
});
