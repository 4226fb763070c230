import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';

import { readOnnxModel, writeOnnxModel } from '../../src/onnx/onnx-model.js';
import { float16BitsToFloat32, float32ArrayToFloat16Bits } from '../../src/onnx/tensor.js';
import { expectClose, f32, randomFloats, runInOrt } from './helpers.js';
import {
  CONV_B,
  CONV_W,
  GEMM_C,
  GEMM_W,
  HALF_BIAS,
  MATMUL_B,
  MATMUL_W,
  convModel,
  float16CastModel,
  gemmModel,
  matMulAddReluModel,
  otherDomainsModel,
  reshapeModel,
} from './models.js';

/** Models built with the builders, written, and executed by onnxruntime-node against TypeScript references. */

function matMul(a: Float32Array, b: Float32Array, m: number, k: number, n: number): Float32Array {
  const out = new Float32Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) sum += (a[i * k + p] as number) * (b[p * n + j] as number);
      out[i * n + j] = sum;
    }
  return out;
}

/** The bytes ORT runs are the writer's output, and a read -> write round trip gives the same bytes. */
function writeAndCheckStable(model: Parameters<typeof writeOnnxModel>[0]): Uint8Array {
  const bytes = writeOnnxModel(model);
  expect(writeOnnxModel(readOnnxModel(bytes))).toEqual(bytes);
  return bytes;
}

describe('models built with the builders run in onnxruntime-node', () => {
  it('MatMul + Add + Relu', async () => {
    const x = randomFloats(2 * 3, 10);
    const out = await runInOrt(writeAndCheckStable(matMulAddReluModel()), { x: f32(x, [2, 3]) });
    const mm = matMul(x, MATMUL_W, 2, 3, 4);
    const expected = mm.map((v, i) => Math.max(0, v + (MATMUL_B[i % 4] as number)));
    expect(out.y?.dims).toEqual([2, 4]);
    expectClose(out.y?.data as Float32Array, expected);
  });

  it('Gemm with alpha, beta and transB', async () => {
    const x = randomFloats(2 * 3, 11);
    const out = await runInOrt(writeAndCheckStable(gemmModel()), { x: f32(x, [2, 3]) });
    const expected = new Float32Array(2 * 5);
    for (let i = 0; i < 2; i++)
      for (let j = 0; j < 5; j++) {
        let sum = 0;
        for (let p = 0; p < 3; p++) sum += (x[i * 3 + p] as number) * (GEMM_W[j * 3 + p] as number);
        expected[i * 5 + j] = 0.5 * sum + 2 * (GEMM_C[j] as number);
      }
    expectClose(out.y?.data as Float32Array, expected);
  });

  it('Conv with padding', async () => {
    const x = randomFloats(16, 12);
    const out = await runInOrt(writeAndCheckStable(convModel()), { x: f32(x, [1, 1, 4, 4]) });
    const expected = new Float32Array(2 * 16);
    for (let m = 0; m < 2; m++)
      for (let r = 0; r < 4; r++)
        for (let c = 0; c < 4; c++) {
          let sum = CONV_B[m] as number;
          for (let kr = 0; kr < 3; kr++)
            for (let kc = 0; kc < 3; kc++) {
              const ir = r + kr - 1;
              const ic = c + kc - 1;
              if (ir < 0 || ir >= 4 || ic < 0 || ic >= 4) continue;
              sum += (x[ir * 4 + ic] as number) * (CONV_W[m * 9 + kr * 3 + kc] as number);
            }
          expected[m * 16 + r * 4 + c] = sum;
        }
    expect(out.y?.dims).toEqual([1, 2, 4, 4]);
    expectClose(out.y?.data as Float32Array, expected);
  });

  it('Reshape with an int64 shape initializer', async () => {
    const x = Float32Array.from([1, 2, 3, 4, 5, 6]);
    const out = await runInOrt(writeAndCheckStable(reshapeModel()), { x: f32(x, [1, 6]) });
    expect(out.y?.dims).toEqual([2, 3]);
    expect(Array.from(out.y?.data as Float32Array)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('float16 Cast, a float16 initializer and a float16 Constant', async () => {
    const x = Float32Array.from([1, 0.1, -3.14159, 60000]);
    const out = await runInOrt(writeAndCheckStable(float16CastModel()), { x: f32(x, [4]) });
    // ORT's Cast rounds to nearest even exactly like float32ToFloat16Bits.
    expect(out.y16?.type).toBe('float16');
    expect(Array.from(out.y16?.data as Uint16Array)).toEqual(
      Array.from(float32ArrayToFloat16Bits(x)),
    );
    // The fp16 initializer and Constant decode to the half-rounded values.
    const expected = [...Array.from(float32ArrayToFloat16Bits(HALF_BIAS), float16BitsToFloat32), 1];
    expect(expected).toEqual([0.0999755859375, -0.199951171875, 1000.5, 65504, 1]);
    expect(Array.from(out.y32?.data as Float32Array)).toEqual(expected);
  });

  it('ai.onnx.ml and com.microsoft nodes pass through and run', async () => {
    const model = otherDomainsModel();
    const bytes = writeAndCheckStable(model);
    const reread = readOnnxModel(bytes);
    expect(reread.graph.node.map((n) => [n.domain ?? '', n.opType])).toEqual([
      ['ai.onnx.ml', 'Scaler'],
      ['com.microsoft', 'Gelu'],
      ['', 'Relu'],
    ]);
    expect(reread).toEqual(model);
    const x = Float32Array.from([1, -1, 2, 0.5]);
    const out = await runInOrt(bytes, { x: f32(x, [1, 4]) });
    const offset = [0.5, -0.5, 0, 1];
    const scale = [2, 2, -1, 0.5];
    const gelu = (v: number): number => 0.5 * v * (1 + erf(v / Math.SQRT2));
    const expected = Array.from(x, (v, i) =>
      Math.max(0, gelu((v - (offset[i] as number)) * (scale[i] as number))),
    );
    expectClose(out.y?.data as Float32Array, expected, 1e-5);
  });

  it('a model with unknown fields (from a newer ONNX) still loads in onnxruntime', async () => {
    const model = matMulAddReluModel();
    // Field 99, varint 42: unknown to both this schema and onnxruntime.
    (model.graph.node[0] as { $unknowns?: Uint8Array[] }).$unknowns = [
      Uint8Array.of(0x98, 0x06, 0x2a),
    ];
    const bytes = writeAndCheckStable(model);
    expect(readOnnxModel(bytes).graph.node[0]?.$unknowns).toEqual([
      Uint8Array.of(0x98, 0x06, 0x2a),
    ]);
    const session = await ort.InferenceSession.create(bytes);
    expect(session.outputNames).toEqual(['y']);
    await session.release();
  });
});

/** erf by its Maclaurin series for |x| < 3 and the asymptotic complement beyond; accurate to ~1e-12 here. */
function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax > 5) return Math.sign(x);
  let term = ax;
  let sum = ax;
  for (let n = 1; n < 200; n++) {
    term *= (-ax * ax) / n;
    const next = term / (2 * n + 1);
    sum += next;
    if (Math.abs(next) < 1e-17) break;
  }
  return Math.sign(x) * ((2 / Math.sqrt(Math.PI)) * sum);
}
