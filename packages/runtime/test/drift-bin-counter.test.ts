import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  type BaselineBins,
  binIndex,
  mergeWindowCounts,
  MISSING_BIN,
  WindowCounter,
  type WindowCounts,
} from '../src/drift/bin-counter.js';
import { DriftError } from '../src/drift/drift-errors.js';

describe('binIndex', () => {
  const edges = [1, 2, 3];

  it('puts a value equal to an edge in the upper bin', () => {
    expect(binIndex(edges, 1)).toBe(1);
    expect(binIndex(edges, 2)).toBe(2);
    expect(binIndex(edges, 3)).toBe(3);
  });

  it('uses the underflow and overflow bins outside the edges', () => {
    expect(binIndex(edges, 0.999)).toBe(0);
    expect(binIndex(edges, -1e300)).toBe(0);
    expect(binIndex(edges, -Infinity)).toBe(0);
    expect(binIndex(edges, 3.0001)).toBe(3);
    expect(binIndex(edges, Infinity)).toBe(3);
  });

  it('puts interior values between their edges', () => {
    expect(binIndex(edges, 1.5)).toBe(1);
    expect(binIndex(edges, 2.999)).toBe(2);
  });

  it('reports NaN as missing, not as a bin', () => {
    expect(binIndex(edges, Number.NaN)).toBe(MISSING_BIN);
    expect(MISSING_BIN).toBe(-1);
  });

  it('has a single bin without edges', () => {
    expect(binIndex([], -5)).toBe(0);
    expect(binIndex([], 5)).toBe(0);
  });

  it('agrees with a linear scan', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.double({ noNaN: true, noDefaultInfinity: true }), { maxLength: 40 }),
        fc.double(),
        (raw, x) => {
          const sorted = [...raw]
            .sort((a, b) => a - b)
            .filter((e, i, a) => i === 0 || e > a[i - 1]!);
          const linear = Number.isNaN(x) ? MISSING_BIN : sorted.filter((e) => e <= x).length;
          expect(binIndex(sorted, x)).toBe(linear);
        },
      ),
    );
  });
});

const baseline: BaselineBins = {
  windowSize: 4,
  features: [
    { name: 'temp', edges: [10, 20] },
    { name: 'flag', edges: [1] },
  ],
  output: { kind: 'classes', shares: [0.5, 0.3, 0.2] },
};

describe('WindowCounter', () => {
  it('counts rows into bins, NaN apart, and outputs per class', () => {
    const counter = new WindowCounter(baseline);
    counter.addRows(
      [
        [5, 0],
        [10, 1],
        [Number.NaN, 1],
      ],
      [0, 2, Number.NaN],
    );
    expect(counter.count).toBe(3);
    expect(counter.full).toBe(false);
    counter.addMatrix(Float32Array.from([25, 0]), [2]);
    expect(counter.full).toBe(true);
    expect(counter.snapshot()).toEqual({
      count: 4,
      features: [
        { name: 'temp', counts: [1, 1, 1], missing: 1 },
        { name: 'flag', counts: [2, 2], missing: 0 },
      ],
      output: { counts: [1, 0, 2], missing: 1 },
    });
  });

  it('bins histogram outputs by their edges', () => {
    const counter = new WindowCounter({
      windowSize: 10,
      features: [],
      output: { kind: 'histogram', edges: [0, 100] },
    });
    counter.addRows([[], [], [], []], [-1, 0, 150, Number.NaN]);
    expect(counter.snapshot().output).toEqual({ counts: [1, 1, 1], missing: 1 });
  });

  it('resets to zero and snapshots are copies', () => {
    const counter = new WindowCounter(baseline);
    counter.addRows([[15, 1]], [1]);
    const before = counter.snapshot();
    counter.reset();
    expect(before.count).toBe(1);
    expect(counter.snapshot()).toEqual({
      count: 0,
      features: [
        { name: 'temp', counts: [0, 0, 0], missing: 0 },
        { name: 'flag', counts: [0, 0], missing: 0 },
      ],
      output: { counts: [0, 0, 0], missing: 0 },
    });
  });

  it('refuses a bad batch without counting any of it', () => {
    const counter = new WindowCounter(baseline);
    expect(() => counter.addRows([[1, 0], [1]])).toThrow(DriftError);
    expect(() => counter.addRows([[1, 0]], [0, 1])).toThrow(/2 outputs for 1 rows/);
    expect(() => counter.addRows([[1, 0]], [3])).toThrow(
      expect.objectContaining({ code: 'EF_RUNTIME_DRIFT_SHAPE' }),
    );
    expect(() => counter.addRows([[1, 0]], [0.5])).toThrow(/not a class index/);
    expect(() => counter.addMatrix([1, 2, 3])).toThrow(/not whole rows/);
    expect(counter.snapshot().count).toBe(0);
    expect(counter.snapshot().features[0]?.counts).toEqual([0, 0, 0]);
  });
});

describe('mergeWindowCounts', () => {
  const value = fc.oneof(
    fc.double({ min: -10, max: 40, noNaN: true }),
    fc.constantFrom(10, 20, Number.NaN, Infinity, -Infinity),
  );
  const row = fc.tuple(value, fc.constantFrom(0, 1, Number.NaN));
  const rowsWithOutputs = fc.array(fc.tuple(row, fc.constantFrom(0, 1, 2, Number.NaN)), {
    maxLength: 60,
  });

  function count(rows: [number[], number][]): WindowCounts {
    const counter = new WindowCounter(baseline);
    counter.addRows(
      rows.map(([r]) => r),
      rows.map(([, y]) => y),
    );
    return counter.snapshot();
  }

  it('equals counting the concatenation (property)', () => {
    fc.assert(
      fc.property(rowsWithOutputs, rowsWithOutputs, (a, b) => {
        expect(mergeWindowCounts(count(a), count(b))).toEqual(count([...a, ...b]));
      }),
    );
  });

  it('is commutative and associative (property)', () => {
    fc.assert(
      fc.property(rowsWithOutputs, rowsWithOutputs, rowsWithOutputs, (a, b, c) => {
        const [ca, cb, cc] = [count(a), count(b), count(c)];
        expect(mergeWindowCounts(ca, cb)).toEqual(mergeWindowCounts(cb, ca));
        expect(mergeWindowCounts(mergeWindowCounts(ca, cb), cc)).toEqual(
          mergeWindowCounts(ca, mergeWindowCounts(cb, cc)),
        );
      }),
    );
  });

  it('refuses windows of different baselines', () => {
    const a = count([]);
    const renamed = { ...a, features: [a.features[0]!, { ...a.features[1]!, name: 'other' }] };
    expect(() => mergeWindowCounts(a, renamed)).toThrow(/named differently/);
    const fewer = { ...a, features: [a.features[0]!] };
    expect(() => mergeWindowCounts(a, fewer)).toThrow(DriftError);
    const wider = { ...a, output: { counts: [0, 0, 0, 0], missing: 0 } };
    expect(() => mergeWindowCounts(a, wider)).toThrow(
      expect.objectContaining({ code: 'EF_RUNTIME_DRIFT_SHAPE' }),
    );
  });
});
