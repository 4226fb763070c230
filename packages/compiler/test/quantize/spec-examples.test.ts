import { describe, expect, it } from 'vitest';
import { dequantize } from '../../src/quantize/dequantize.js';
import { dynamicQuantizeLinear } from '../../src/quantize/dynamic-quantize.js';
import { quantizeTensor } from '../../src/quantize/quantize-tensor.js';

// Examples of the ONNX operator documentation (QuantizeLinear, DequantizeLinear,
// DynamicQuantizeLinear); float32 values written as Math.fround of the documented decimals.

describe('ONNX QuantizeLinear / DequantizeLinear examples', () => {
  it('QuantizeLinear uint8: [0, 2, 3, 1000, -254, -1000] / 2 + 128', () => {
    const x = new Float32Array([0, 2, 3, 1000, -254, -1000]);
    const q = quantizeTensor(x, { scale: 2, zeroPoint: 128 }, 'uint8');
    expect(Array.from(q.data)).toEqual([128, 129, 130, 255, 1, 0]);
    expect(q.data).toBeInstanceOf(Uint8Array);
  });

  it('QuantizeLinear int8 saturates to [-128, 127]', () => {
    const x = new Float32Array([0, 2, 3, 1000, -254, -1000]);
    const q = quantizeTensor(x, { scale: 2, zeroPoint: -1 }, 'int8');
    expect(Array.from(q.data)).toEqual([-1, 0, 1, 127, -128, -128]);
  });

  it('QuantizeLinear saturates ±Infinity', () => {
    const q = quantizeTensor(
      new Float32Array([Infinity, -Infinity]),
      { scale: 1, zeroPoint: 0 },
      'int8',
    );
    expect(Array.from(q.data)).toEqual([127, -128]);
  });

  it('DequantizeLinear: (x - zero_point) * scale', () => {
    const y = dequantize({
      data: new Uint8Array([0, 3, 128, 255]),
      scales: [2],
      zeroPoints: [128],
    });
    expect(Array.from(y)).toEqual([-256, -250, 0, 254]);
  });
});

describe('ONNX DynamicQuantizeLinear examples', () => {
  it('mixed signs: scale 0.0196078438, zero point 153', () => {
    const r = dynamicQuantizeLinear(new Float32Array([0, 2, -3, -2.5, 1.34, 0.5]));
    expect(r.scale).toBe(Math.fround(0.0196078438));
    expect(r.zeroPoint).toBe(153);
    // 0.5 / scale is exactly 25.5 in float32 -> ties to even 26 -> 179; onnxruntime and the ONNX
    // backend test data agree. (The exact real quotient 25.4999991 would give 178.)
    expect(Array.from(r.data)).toEqual([153, 255, 0, 26, 221, 179]);
  });

  it('all negative: scale 0.0156862754, zero point 255', () => {
    const r = dynamicQuantizeLinear(new Float32Array([-1.0, -2.1, -1.3, -2.5, -3.34, -4.0]));
    expect(r.scale).toBe(Math.fround(0.0156862754));
    expect(r.zeroPoint).toBe(255);
    expect(Array.from(r.data)).toEqual([191, 121, 172, 96, 42, 0]);
  });

  it('all positive: scale 0.0156862754, zero point 0', () => {
    const x = [1, 2.1, 1.3, 2.5, 3.34, 4.0, 1.5, 2.6, 3.9, 4.0, 3.0, 2.345];
    const r = dynamicQuantizeLinear(new Float32Array(x));
    expect(r.scale).toBe(Math.fround(0.0156862754));
    expect(r.zeroPoint).toBe(0);
    expect(Array.from(r.data)).toEqual([64, 134, 83, 159, 213, 255, 96, 166, 249, 255, 191, 149]);
  });

  it('all zeros: onnxruntime uses scale 1 (the spec formula would divide by zero)', () => {
    const r = dynamicQuantizeLinear(new Float32Array(3));
    expect(r).toEqual({ data: new Uint8Array(3), scale: 1, zeroPoint: 0 });
  });
});
