import { describe, expect, it } from 'vitest';
import { computeQuantParams } from '../../src/quantize/quant-params.js';
import { quantRange } from '../../src/quantize/quant-types.js';
import { QuantizeError } from '../../src/quantize/quantize-errors.js';

const f = Math.fround;

describe('quantRange (onnxruntime get_qmin_qmax_for_qType)', () => {
  it('full, symmetric and reduced ranges', () => {
    expect(quantRange('int8', { symmetric: false })).toEqual({ qmin: -128, qmax: 127 });
    expect(quantRange('int8', { symmetric: true })).toEqual({ qmin: -127, qmax: 127 });
    expect(quantRange('uint8', { symmetric: true })).toEqual({ qmin: 0, qmax: 255 });
    expect(quantRange('int8', { symmetric: true, reduceRange: true })).toEqual({
      qmin: -64,
      qmax: 64,
    });
    expect(quantRange('uint8', { symmetric: false, reduceRange: true })).toEqual({
      qmin: 0,
      qmax: 127,
    });
  });
});

describe('computeQuantParams', () => {
  it('symmetric int8: zero point 0, scale = absmax / 127', () => {
    expect(computeQuantParams({ rmin: -1, rmax: 1, qType: 'int8', symmetric: true })).toEqual({
      scale: f(1 / 127),
      zeroPoint: 0,
    });
    expect(computeQuantParams({ rmin: -0.5, rmax: 2.54, qType: 'int8', symmetric: true })).toEqual({
      scale: f((2 * f(2.54)) / 254),
      zeroPoint: 0,
    });
  });

  it('symmetric uint8 puts the zero point at 128; reduced symmetric int8 divides by 128', () => {
    expect(computeQuantParams({ rmin: -3, rmax: 1, qType: 'uint8', symmetric: true })).toEqual({
      scale: f(6 / 255),
      zeroPoint: 128,
    });
    expect(
      computeQuantParams({ rmin: -3, rmax: 1, qType: 'int8', symmetric: true, reduceRange: true }),
    ).toEqual({ scale: f(6 / 128), zeroPoint: 0 });
  });

  it('asymmetric uint8 includes zero in the range', () => {
    expect(computeQuantParams({ rmin: -3, rmax: 2, qType: 'uint8', symmetric: false })).toEqual({
      scale: f(5 / 255),
      zeroPoint: 153,
    });
    // positive-only data: rmin forced to 0 -> zero point 0
    expect(computeQuantParams({ rmin: 0.5, rmax: 4, qType: 'uint8', symmetric: false })).toEqual({
      scale: f(4 / 255),
      zeroPoint: 0,
    });
    // negative-only data: rmax forced to 0 -> zero point at the top of the range
    expect(computeQuantParams({ rmin: -4, rmax: -1, qType: 'int8', symmetric: false })).toEqual({
      scale: f(4 / 255),
      zeroPoint: 127,
    });
  });

  it('reduce_range uint8 maps onto [0, 127]', () => {
    expect(
      computeQuantParams({
        rmin: -1,
        rmax: 1,
        qType: 'uint8',
        symmetric: false,
        reduceRange: true,
      }),
    ).toEqual({ scale: f(2 / 127), zeroPoint: 64 });
  });

  it('an empty range (0, 0) or a range below float32 tiny gives scale 1, zero point 0', () => {
    for (const qType of ['int8', 'uint8'] as const) {
      for (const symmetric of [false, true]) {
        expect(computeQuantParams({ rmin: 0, rmax: 0, qType, symmetric })).toEqual({
          scale: 1,
          zeroPoint: 0,
        });
        expect(computeQuantParams({ rmin: -1e-40, rmax: 1e-40, qType, symmetric })).toEqual({
          scale: 1,
          zeroPoint: 0,
        });
      }
    }
  });

  it('rejects non-finite ranges with EF_COMPILE_QUANT_RANGE', () => {
    for (const [rmin, rmax] of [
      [Number.NaN, 1],
      [0, Infinity],
      [-1e39, 0], // overflows float32
      [-3e38, 3e38], // rmax - rmin overflows float32
    ] as const) {
      expect(() => computeQuantParams({ rmin, rmax, qType: 'int8', symmetric: false })).toThrow(
        expect.objectContaining({ code: 'EF_COMPILE_QUANT_RANGE' }),
      );
    }
  });

  it('rejects an unknown type with EF_COMPILE_QUANT_PARAMS', () => {
    const call = (): unknown =>
      computeQuantParams({ rmin: 0, rmax: 1, qType: 'int4' as 'int8', symmetric: false });
    expect(call).toThrow(QuantizeError);
    expect(call).toThrow(expect.objectContaining({ code: 'EF_COMPILE_QUANT_PARAMS' }));
  });
});
