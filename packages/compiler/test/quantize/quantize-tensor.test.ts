import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dequantize } from '../../src/quantize/dequantize.js';
import { quantizeTensor } from '../../src/quantize/quantize-tensor.js';

const f = Math.fround;

describe('quantizeTensor per-channel', () => {
  it('MatMul weight [K=2, N=3], axis 1, symmetric int8', () => {
    const w = new Float32Array([1, -2, 0.5, -1, 4, 0.25]);
    const q = quantizeTensor(w, { axis: 1, dims: [2, 3], symmetric: true }, 'int8');
    expect(Array.from(q.scales)).toEqual([f(2 / 254), f(8 / 254), f(1 / 254)]);
    expect(Array.from(q.zeroPoints)).toEqual([0, 0, 0]);
    expect(q.data).toBeInstanceOf(Int8Array);
    expect(Array.from(q.data)).toEqual([127, -64, 127, -127, 127, 64]);
  });

  it('Conv weight [M=2, C=1, 1, 2], axis 0, asymmetric uint8 (ConvInteger is u8u8)', () => {
    const w = new Float32Array([-1, 1, 0.5, 2]);
    const q = quantizeTensor(w, { axis: 0, dims: [2, 1, 1, 2], symmetric: false }, 'uint8');
    expect(Array.from(q.scales)).toEqual([f(2 / 255), f(2 / 255)]);
    expect(Array.from(q.zeroPoints)).toEqual([128, 0]);
    // Channel 0: zero point round(127.5) = 128 (tie to even); -1 / f32(2/255) = -127.49999 in
    // float32 -> -127 -> 1 (the float64 zero point and float32 scale differ, as in onnxruntime).
    expect(Array.from(q.data)).toEqual([1, 255, 64, 255]);
  });

  it('Gemm transB weight [N, K] uses axis 0; a negative axis counts from the end', () => {
    const w = new Float32Array([1, 2, -3, 6]);
    const a = quantizeTensor(w, { axis: 0, dims: [2, 2], symmetric: true }, 'int8');
    const b = quantizeTensor(w, { axis: -2, dims: [2, 2], symmetric: true }, 'int8');
    expect(b).toEqual(a);
    expect(Array.from(a.scales)).toEqual([f(4 / 254), f(12 / 254)]);
  });

  it('dequantizes per channel back within scale / 2', () => {
    const w = Float32Array.from({ length: 24 }, (_, i) => Math.sin(i) * (1 + (i % 4)));
    const spec = { axis: 1, dims: [6, 4], symmetric: true };
    const q = quantizeTensor(w, spec, 'int8');
    const back = dequantize(q, spec);
    w.forEach((x, i) => {
      expect(Math.abs((back[i] as number) - x)).toBeLessThanOrEqual(
        (q.scales[i % 4] as number) / 2 + 1e-7,
      );
    });
  });

  it('rejects shape mismatches, bad axes and NaN with coded errors', () => {
    const w = new Float32Array(6);
    expect(() => quantizeTensor(w, { axis: 2, dims: [2, 3], symmetric: true }, 'int8')).toThrow(
      expect.objectContaining({ code: 'EF_COMPILE_QUANT_SHAPE' }),
    );
    expect(() => quantizeTensor(w, { axis: 0, dims: [4, 2], symmetric: true }, 'int8')).toThrow(
      expect.objectContaining({ code: 'EF_COMPILE_QUANT_SHAPE' }),
    );
    expect(() =>
      quantizeTensor(new Float32Array([1, Number.NaN]), { symmetric: false }, 'uint8'),
    ).toThrow(expect.objectContaining({ code: 'EF_COMPILE_QUANT_RANGE' }));
    expect(() =>
      quantizeTensor(new Float32Array([1, Infinity]), { symmetric: false }, 'uint8'),
    ).toThrow(expect.objectContaining({ code: 'EF_COMPILE_QUANT_RANGE' }));
    expect(() => quantizeTensor(w, { scale: 0, zeroPoint: 0 }, 'int8')).toThrow(
      expect.objectContaining({ code: 'EF_COMPILE_QUANT_PARAMS' }),
    );
    expect(() => quantizeTensor(w, { scale: 1, zeroPoint: 200 }, 'int8')).toThrow(
      expect.objectContaining({ code: 'EF_COMPILE_QUANT_PARAMS' }),
    );
    expect(() =>
      dequantize(
        { data: new Int8Array(6), scales: [1, 1], zeroPoints: [0, 0] },
        { axis: 1, dims: [2, 3] },
      ),
    ).toThrow(expect.objectContaining({ code: 'EF_COMPILE_QUANT_SHAPE' }));
  });

  it('an empty tensor gets scale 1, zero point 0 (onnxruntime compute_data_quant_params)', () => {
    const q = quantizeTensor(new Float32Array(0), { symmetric: false }, 'uint8');
    expect(Array.from(q.scales)).toEqual([1]);
    expect(Array.from(q.zeroPoints)).toEqual([0]);
  });
});

describe('dequantize(quantize(x)) error <= scale / 2 (property)', () => {
  const floats = fc.float({ min: -1e4, max: 1e4, noNaN: true, noDefaultInfinity: true });
  const options = [
    { qType: 'int8' as const, symmetric: true, reduceRange: false },
    { qType: 'int8' as const, symmetric: false, reduceRange: false },
    { qType: 'uint8' as const, symmetric: false, reduceRange: false },
    { qType: 'uint8' as const, symmetric: true, reduceRange: false },
    { qType: 'uint8' as const, symmetric: false, reduceRange: true },
    { qType: 'int8' as const, symmetric: true, reduceRange: true },
  ];
  for (const o of options) {
    it(`${o.qType} symmetric=${o.symmetric} reduceRange=${o.reduceRange}`, () => {
      fc.assert(
        fc.property(fc.array(floats, { minLength: 1, maxLength: 64 }), (values) => {
          const x = Float32Array.from(values);
          const q = quantizeTensor(x, o, o.qType);
          const back = dequantize(q);
          const scale = q.scales[0] as number;
          x.forEach((v, i) => {
            // scale / 2 from rounding, plus float32 rounding of x / scale and of the product
            // (a few ulps of the largest magnitude involved).
            const slack = 4 * 2 ** -24 * Math.max(Math.abs(v), scale);
            expect(Math.abs((back[i] as number) - v)).toBeLessThanOrEqual(scale / 2 + slack);
          });
        }),
        { numRuns: 300 },
      );
    });
  }
});
