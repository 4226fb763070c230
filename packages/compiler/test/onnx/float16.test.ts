import { describe, expect, it } from 'vitest';

import {
  float16BitsToFloat32,
  float16BitsToFloat32Array,
  float32ArrayToFloat16Bits,
  float32ToFloat16Bits,
} from '../../src/onnx/tensor.js';

describe('float32ToFloat16Bits', () => {
  // Golden values checked against numpy: np.float32(v).astype(np.float16).view(np.uint16).
  it.each([
    [0, 0x0000],
    [-0, 0x8000],
    [1, 0x3c00],
    [-2, 0xc000],
    [0.5, 0x3800],
    [65504, 0x7bff], // largest finite half
    [65519, 0x7bff], // just below the tie: rounds down
    [65520, 0x7c00], // tie between 65504 and 65536: to even, i.e. Infinity
    [-1e5, 0xfc00], // overflow keeps the sign
    [6.103515625e-5, 0x0400], // smallest normal half
    [6.1e-5, 0x03ff], // just below: largest subnormal
    [2 ** -24, 0x0001], // smallest subnormal
    [2 ** -25, 0x0000], // exact half of the smallest subnormal: tie to even (0)
    [3 * 2 ** -25, 0x0002], // tie between 1 and 2 subnormal units: to even (2)
    [2 ** -25 * 1.0000001, 0x0001], // just above the tie rounds up
    [1e-8, 0x0000], // underflow
    [-1e-8, 0x8000], // underflow keeps the sign
    [1 + 2 ** -11, 0x3c00], // tie between 0x3c00 and 0x3c01: to even
    [1 + 3 * 2 ** -11, 0x3c02], // tie between 0x3c01 and 0x3c02: to even
    [2049, 0x6800], // integer tie at 2048..2050
    [2051, 0x6802],
    [0.1, 0x2e66],
    [1 / 3, 0x3555],
    [3.14159, 0x4248],
    [Infinity, 0x7c00],
    [-Infinity, 0xfc00],
  ])('%s -> %i', (value, bits) => {
    expect(float32ToFloat16Bits(value)).toBe(bits);
  });

  it('keeps NaN a NaN (quiet, sign kept)', () => {
    expect(float32ToFloat16Bits(NaN)).toBe(0x7e00);
    const bits = float32ToFloat16Bits(-NaN);
    expect(bits & 0x7c00).toBe(0x7c00);
    expect(bits & 0x03ff).not.toBe(0);
  });

  it('rounds the float32 value, not the float64 one', () => {
    // 1 + 2^-11 + 2^-40 is above the half-way point in float64 but becomes the exact tie in float32.
    expect(float32ToFloat16Bits(1 + 2 ** -11 + 2 ** -40)).toBe(0x3c00);
  });
});

describe('float16BitsToFloat32', () => {
  it.each([
    [0x0000, 0],
    [0x3c00, 1],
    [0xc000, -2],
    [0x7bff, 65504],
    [0x0400, 6.103515625e-5],
    [0x03ff, 6.097555160522461e-5],
    [0x0001, 5.960464477539063e-8],
    [0x7c00, Infinity],
    [0xfc00, -Infinity],
    [0x3555, 0.333251953125],
  ])('%i -> %s', (bits, value) => {
    expect(float16BitsToFloat32(bits)).toBe(value);
  });

  it('decodes -0 with its sign', () => {
    expect(Object.is(float16BitsToFloat32(0x8000), -0)).toBe(true);
  });

  it('decodes every NaN pattern to NaN', () => {
    for (const bits of [0x7c01, 0x7e00, 0x7fff, 0xfc01, 0xfe00])
      expect(float16BitsToFloat32(bits)).toBeNaN();
  });

  it('round-trips all 63,490 non-NaN half bit patterns exactly', () => {
    let checked = 0;
    for (let bits = 0; bits < 0x10000; bits++) {
      const exponent = (bits >>> 10) & 0x1f;
      if (exponent === 0x1f && (bits & 0x3ff) !== 0) continue; // NaN
      const value = float16BitsToFloat32(bits);
      if (Math.fround(value) !== value) throw new Error(`0x${bits.toString(16)} is not a float32`);
      if (float32ToFloat16Bits(value) !== bits)
        throw new Error(`0x${bits.toString(16)} did not round-trip`);
      checked++;
    }
    expect(checked).toBe(65536 - 2046); // minus the 2046 NaN patterns
  });

  it('matches ties-to-even at every midpoint between adjacent finite halves', () => {
    for (let bits = 0; bits < 0x7bff; bits++) {
      const low = float16BitsToFloat32(bits);
      const high = float16BitsToFloat32(bits + 1);
      const expected = bits % 2 === 0 ? bits : bits + 1;
      if (float32ToFloat16Bits((low + high) / 2) !== expected)
        throw new Error(`midpoint after 0x${bits.toString(16)}`);
    }
  });
});

describe('array helpers', () => {
  it('convert whole arrays both ways', () => {
    const bits = float32ArrayToFloat16Bits([0.5, -2, 65504, 1e-8]);
    expect(Array.from(bits)).toEqual([0x3800, 0xc000, 0x7bff, 0x0000]);
    expect(Array.from(float16BitsToFloat32Array(bits))).toEqual([0.5, -2, 65504, 0]);
  });
});
