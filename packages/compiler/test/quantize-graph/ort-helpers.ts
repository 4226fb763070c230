import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import * as ort from 'onnxruntime-node';

import { readOnnxModel, writeOnnxModel } from '../../src/onnx/index.js';
import type { OnnxModel } from '../../src/onnx/index.js';
import type { Batch } from './fixture-data.js';

/** Runs `model` on each batch and returns the first output of every batch, concatenated. */
export async function runBatches(
  model: OnnxModel,
  batches: readonly Batch[],
): Promise<{ data: Float32Array; width: number }> {
  const session = await ort.InferenceSession.create(writeOnnxModel(model));
  try {
    const parts: Float32Array[] = [];
    let width = 1;
    for (const batch of batches) {
      const feeds: Record<string, ort.Tensor> = {};
      for (const [name, t] of Object.entries(batch))
        feeds[name] = new ort.Tensor('float32', t.data, t.dims);
      const out = await session.run(feeds);
      const first = out[session.outputNames[0] as string] as ort.Tensor;
      width = first.dims.slice(1).reduce((a, b) => a * b, 1);
      parts.push(first.data as Float32Array);
    }
    const data = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    let offset = 0;
    for (const part of parts) {
      data.set(part, offset);
      offset += part.length;
    }
    return { data, width };
  } finally {
    await session.release();
  }
}

/** Largest |a - b| and largest |b|. */
export function maxDiff(a: Float32Array, b: Float32Array): { diff: number; scale: number } {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs((a[i] as number) - (b[i] as number)));
    scale = Math.max(scale, Math.abs(b[i] as number));
  }
  return { diff, scale };
}

/** Fraction of rows whose argmax agrees. */
export function topOneAgreement(a: Float32Array, b: Float32Array, width: number): number {
  const rows = b.length / width;
  let same = 0;
  for (let r = 0; r < rows; r++) {
    if (argmax(a, r * width, width) === argmax(b, r * width, width)) same += 1;
  }
  return same / rows;
}

function argmax(data: Float32Array, start: number, width: number): number {
  let best = 0;
  for (let i = 1; i < width; i++)
    if ((data[start + i] as number) > (data[start + best] as number)) best = i;
  return best;
}

/** The op types of the model onnxruntime writes after its graph optimizations (QDQ fusion). */
export async function optimizedOpTypes(
  model: OnnxModel,
  level: 'basic' | 'extended' | 'all' = 'extended',
): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'ef-qdq-'));
  try {
    const path = join(dir, 'optimized.onnx');
    const session = await ort.InferenceSession.create(writeOnnxModel(model), {
      graphOptimizationLevel: level,
      optimizedModelFilePath: path,
      executionProviders: ['cpu'],
    });
    await session.release();
    return readOnnxModel(new Uint8Array(readFileSync(path))).graph.node.map((n) => n.opType ?? '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Op types of a model, in node order. */
export function opTypes(model: OnnxModel): string[] {
  return model.graph.node.map((n) => n.opType ?? '');
}
