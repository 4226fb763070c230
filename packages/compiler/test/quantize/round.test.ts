import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { roundHalfToEven } from '../../src/quantize/round.js';

describe('roundHalfToEven', () => {
  it('breaks ties to the even neighbour', () => {
    expect(roundHalfToEven(0.5)).toBe(0);
    expect(roundHalfToEven(1.5)).toBe(2);
    expect(roundHalfToEven(2.5)).toBe(2);
    expect(roundHalfToEven(3.5)).toBe(4);
    expect(Object.is(roundHalfToEven(-0.5), -0)).toBe(true);
    expect(roundHalfToEven(-1.5)).toBe(-2);
    expect(roundHalfToEven(-2.5)).toBe(-2);
    expect(roundHalfToEven(127.5)).toBe(128);
    expect(roundHalfToEven(-128.5)).toBe(-128);
  });

  it('rounds non-ties to nearest and keeps integers and huge values', () => {
    expect(roundHalfToEven(0.49999999999999994)).toBe(0);
    expect(roundHalfToEven(2.5000001)).toBe(3);
    expect(roundHalfToEven(-2.4999)).toBe(-2);
    expect(roundHalfToEven(2 ** 53 + 2)).toBe(2 ** 53 + 2);
    expect(roundHalfToEven(Infinity)).toBe(Infinity);
  });

  it('is within 0.5, integral, and exactly even on ties', () => {
    fc.assert(
      fc.property(fc.double({ min: -1e9, max: 1e9, noNaN: true }), (x) => {
        const r = roundHalfToEven(x);
        expect(Number.isInteger(r)).toBe(true);
        expect(Math.abs(r - x)).toBeLessThanOrEqual(0.5);
        if (Math.abs(r - x) === 0.5) expect(r % 2 === 0).toBe(true);
      }),
    );
  });
});
