import * as ort from 'onnxruntime-node';

import { writeOnnxModel } from '../../src/onnx/index.js';
import type { OnnxModel } from '../../src/onnx/index.js';
import { randomFloats } from '../onnx/helpers.js';

/** Float32 feeds of the given shapes, seeded so every run sees the same "random" inputs. */
export function seededFeeds(
  shapes: Record<string, readonly number[]>,
  seed: number,
): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  let offset = 0;
  for (const [name, dims] of Object.entries(shapes)) {
    const count = dims.reduce((a, b) => a * b, 1);
    feeds[name] = new ort.Tensor('float32', randomFloats(count, seed + offset++), [...dims]);
  }
  return feeds;
}

/** Runs a model (object or bytes) in onnxruntime-node and returns every output. */
export async function runModel(
  model: OnnxModel | Uint8Array,
  feeds: Record<string, ort.Tensor>,
): Promise<Record<string, ort.Tensor>> {
  const bytes = model instanceof Uint8Array ? model : writeOnnxModel(model);
  const session = await ort.InferenceSession.create(bytes);
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

/** Largest |a - e| over two outputs, and the largest |e| (to scale tolerances). */
export function maxAbsDiff(
  actual: ort.Tensor,
  expected: ort.Tensor,
): { diff: number; scale: number } {
  const a = actual.data as Float32Array;
  const e = expected.data as Float32Array;
  if (a.length !== e.length) throw new Error(`length ${a.length} !== ${e.length}`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs((a[i] as number) - (e[i] as number)));
    scale = Math.max(scale, Math.abs(e[i] as number));
  }
  return { diff, scale };
}

/**
 * Runs both models on the same feeds and returns, per output name, the
 * largest absolute difference and output magnitude; names must match.
 */
export async function compareModels(
  original: OnnxModel | Uint8Array,
  transformed: OnnxModel | Uint8Array,
  feeds: Record<string, ort.Tensor>,
): Promise<Record<string, { diff: number; scale: number; type: string; dims: readonly number[] }>> {
  const expected = await runModel(original, feeds);
  const actual = await runModel(transformed, feeds);
  const result: Record<
    string,
    { diff: number; scale: number; type: string; dims: readonly number[] }
  > = {};
  for (const [name, tensor] of Object.entries(expected)) {
    const other = actual[name];
    if (other === undefined) throw new Error(`output '${name}' missing after the transform`);
    if (other.dims.join() !== tensor.dims.join()) throw new Error(`output '${name}' dims changed`);
    result[name] = { ...maxAbsDiff(other, tensor), type: other.type, dims: other.dims };
  }
  return result;
}
