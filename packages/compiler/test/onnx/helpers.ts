import * as ort from 'onnxruntime-node';

import { OnnxError } from '../../src/onnx/onnx-errors.js';
import type { OnnxErrorCode } from '../../src/onnx/onnx-errors.js';

/** Runs ONNX bytes in onnxruntime-node and returns every output. */
export async function runInOrt(
  bytes: Uint8Array,
  feeds: Record<string, ort.Tensor>,
): Promise<Record<string, ort.Tensor>> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

/** A float32 ort tensor. */
export function f32(data: readonly number[] | Float32Array, dims: readonly number[]): ort.Tensor {
  return new ort.Tensor('float32', Float32Array.from(data), dims);
}

/** The OnnxError `fn` throws; fails the test if it throws anything else or nothing. */
export function captureOnnxError(fn: () => unknown): OnnxError {
  try {
    fn();
  } catch (err) {
    if (err instanceof OnnxError) return err;
    throw new Error(`expected an OnnxError, got ${String(err)}`, { cause: err });
  }
  throw new Error('expected an OnnxError, nothing was thrown');
}

/** Asserts `fn` throws an OnnxError with `code` and returns it. */
export function expectOnnxError(fn: () => unknown, code: OnnxErrorCode): OnnxError {
  const err = captureOnnxError(fn);
  if (err.code !== code)
    throw new Error(`expected ${code}, got ${err.code}: ${err.message}`, { cause: err });
  return err;
}

/** Deterministic pseudo-random generator (mulberry32), so "random" inputs are reproducible. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Values in [-1, 1) from a seeded generator. */
export function randomFloats(count: number, seed: number): Float32Array {
  const next = seededRandom(seed);
  return Float32Array.from({ length: count }, () => next() * 2 - 1);
}

/** Asserts two numeric arrays are elementwise within `tolerance` (absolute + relative). */
export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tolerance = 1e-5,
): void {
  if (actual.length !== expected.length)
    throw new Error(`length ${actual.length} !== ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i] as number;
    const e = expected[i] as number;
    if (!(Math.abs(a - e) <= tolerance * (1 + Math.abs(e)))) {
      throw new Error(`element ${i}: ${a} vs expected ${e} (tolerance ${tolerance})`);
    }
  }
}
