import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { expect } from 'vitest';

import { getModelIo, writeOnnxModel } from '../../src/onnx/index.js';
import { convertLayersModel } from '../../src/tfjs/index.js';

/** Deterministic PRNG (mulberry32) so weights and inputs are the same on every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomArray(n: number, seed: number, scale = 1): Float32Array {
  const next = seededRandom(seed);
  return Float32Array.from({ length: n }, () => (next() * 2 - 1) * scale);
}

/** Replaces every weight with seeded random values (variances kept positive). */
export function randomizeWeights(model: tf.LayersModel, seed = 1): void {
  model.setWeights(
    model.weights.map((w, i) => {
      const values = randomArray(
        w.shape.reduce<number>((a, b) => a * (b ?? 1), 1),
        seed * 1000 + i,
        0.5,
      );
      if (w.originalName.includes('variance'))
        for (let k = 0; k < values.length; k++) values[k] = Math.abs(values[k] as number) + 0.5;
      return tf.tensor(values, w.shape as number[]);
    }),
  );
}

/** Writes model.json + weights.bin like tfjs-node's file handler (see scripts/fixtures/tfjs-io.ts). */
export async function saveLayersModel(model: tf.LayersModel, dir: string): Promise<void> {
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const data = artifacts.weightData;
      const parts = data === undefined ? [] : Array.isArray(data) ? data : [data];
      const weights = Buffer.concat(parts.map((p) => new Uint8Array(p)));
      mkdirSync(dir, { recursive: true });
      writeFileSync(
        path.join(dir, 'model.json'),
        JSON.stringify({
          modelTopology: artifacts.modelTopology,
          format: artifacts.format,
          generatedBy: artifacts.generatedBy,
          convertedBy: null,
          weightsManifest: [{ paths: ['./weights.bin'], weights: artifacts.weightSpecs ?? [] }],
        }),
      );
      writeFileSync(path.join(dir, 'weights.bin'), weights);
      return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON' } };
    }),
  );
}

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'ef-tfjs-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs ONNX bytes in onnxruntime-node; outputs in graph order. */
export async function runOnnx(
  bytes: Uint8Array,
  feeds: Record<string, { data: Float32Array | Int32Array; dims: number[] }>,
): Promise<{ data: Float32Array; dims: number[] }[]> {
  const session = await ort.InferenceSession.create(bytes);
  const inputs: Record<string, ort.Tensor> = {};
  for (const [name, v] of Object.entries(feeds)) {
    inputs[name] = new ort.Tensor(
      v.data instanceof Int32Array ? 'int32' : 'float32',
      v.data,
      v.dims,
    );
  }
  const result = await session.run(inputs);
  const out = session.outputNames.map((n) => {
    const t = result[n] as ort.Tensor;
    return { data: t.data as Float32Array, dims: [...t.dims] };
  });
  await session.release();
  return out;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++)
    max = Math.max(max, Math.abs((a[i] as number) - (b[i] as number)));
  return max;
}

export interface CompareOptions {
  tolerance?: number;
  seed?: number;
  /** Input value range (default [-1, 1] scaled by 2). */
  scale?: number;
  /** Integer inputs in [0, n) (Embedding). */
  intRange?: number;
  batch?: number;
}

/**
 * Saves `model` in the TF.js format, converts it, runs it in onnxruntime and compares every
 * output with model.predict on seeded random inputs. Returns the max abs difference.
 */
export async function expectMatchesTfjs(
  model: tf.LayersModel,
  options: CompareOptions = {},
): Promise<number> {
  const { dir, cleanup } = tempDir();
  try {
    await saveLayersModel(model, dir);
    const { model: onnx } = convertLayersModel(path.join(dir, 'model.json'));
    const batch = options.batch ?? 3;
    const feeds: Record<string, { data: Float32Array | Int32Array; dims: number[] }> = {};
    const tfInputs: tf.Tensor[] = [];
    model.inputs.forEach((input, i) => {
      const dims = [batch, ...(input.shape.slice(1) as number[])];
      const n = dims.reduce((a, b) => a * b, 1);
      let data = randomArray(n, (options.seed ?? 7) + i, options.scale ?? 2);
      if (options.intRange !== undefined) {
        const r = options.intRange;
        data = data.map((v) => Math.floor(((v / (options.scale ?? 2) + 1) / 2) * r * 0.999));
      }
      const name = model.inputLayers[i]?.name ?? input.name;
      feeds[name] = { data, dims };
      tfInputs.push(tf.tensor(data, dims));
    });
    const predicted = model.predict(tfInputs.length === 1 ? (tfInputs[0] as tf.Tensor) : tfInputs);
    const expected = (Array.isArray(predicted) ? predicted : [predicted]).map((t) => ({
      data: t.dataSync() as Float32Array,
      dims: t.shape,
    }));
    const actual = await runOnnx(writeOnnxModel(onnx), feeds);
    expect(actual.length).toBe(expected.length);
    // Every output size the converter declares statically must be the one onnxruntime produces.
    getModelIo(onnx).outputs.forEach((declared, i) => {
      const dims = actual[i]?.dims ?? [];
      expect(declared.shape?.length).toBe(dims.length);
      declared.shape?.forEach((d, k) => {
        if (typeof d === 'number') expect(d, `${declared.name} dim ${k}`).toBe(dims[k]);
      });
    });
    let worst = 0;
    actual.forEach((a, i) => {
      expect(a.dims).toEqual(expected[i]?.dims);
      worst = Math.max(worst, maxAbsDiff(a.data, expected[i]?.data ?? []));
    });
    expect(worst).toBeLessThanOrEqual(options.tolerance ?? 1e-4);
    tf.dispose([...tfInputs, ...(Array.isArray(predicted) ? predicted : [predicted])]);
    return worst;
  } finally {
    cleanup();
  }
}

/** A Sequential model of `layers` on input shape `shape` (without batch), weights randomized. */
export function sequential(shape: number[], layers: tf.layers.Layer[], seed = 1): tf.Sequential {
  const model = tf.sequential();
  model.add(tf.layers.inputLayer({ inputShape: shape }));
  for (const layer of layers) model.add(layer);
  randomizeWeights(model, seed);
  return model;
}

/** One weight for {@link writeModelFolder}. */
export interface RawWeight {
  name: string;
  shape: number[];
  data: Float32Array;
}

/**
 * Writes a hand-made TF.js Layers folder (model.json + weights.bin) for cases TF.js itself cannot
 * build (causal Conv1D, GRU reset_after=true, Keras-only layers) and for hostile inputs.
 */
export function writeModelFolder(
  dir: string,
  topology: unknown,
  weights: RawWeight[],
  manifestEdit?: (manifest: Record<string, unknown>[]) => void,
): string {
  const manifest: Record<string, unknown>[] = [
    {
      paths: ['./weights.bin'],
      weights: weights.map((w) => ({ name: w.name, shape: w.shape, dtype: 'float32' })),
    },
  ];
  manifestEdit?.(manifest);
  const file = path.join(dir, 'model.json');
  writeFileSync(
    file,
    JSON.stringify({ modelTopology: topology, format: 'layers-model', weightsManifest: manifest }),
  );
  writeFileSync(
    path.join(dir, 'weights.bin'),
    Buffer.concat(
      weights.map((w) => new Uint8Array(w.data.buffer, w.data.byteOffset, w.data.byteLength)),
    ),
  );
  return file;
}

/** A Sequential topology of an InputLayer and `layers` ({class_name, config}). */
export function sequentialTopology(
  inputShape: (number | null)[],
  layers: { class_name: string; config: Record<string, unknown> }[],
): unknown {
  return {
    class_name: 'Sequential',
    config: {
      name: 'handmade',
      layers: [
        {
          class_name: 'InputLayer',
          config: { batch_input_shape: inputShape, dtype: 'float32', name: 'input' },
        },
        ...layers,
      ],
    },
    keras_version: 'tfjs-layers 4.22.0',
    backend: 'tensor_flow.js',
  };
}
