import { EdgefleetError } from '@edgefleet/protocol';
import { describe, expect, it } from 'vitest';

import { PreprocessError } from '../src/preprocess/preprocess-errors.js';
import type { TabularPreprocessSpec } from '../src/preprocess/preprocess-spec.js';
import { preprocessTabular } from '../src/preprocess/tabular-preprocess.js';

const spec: TabularPreprocessSpec = {
  kind: 'tabular',
  input: 'features',
  features: [
    { name: 'temp', impute: 20, clip: [-40, 120], mean: 20, std: 5 },
    { name: 'rpm', mean: 1000, std: 0 },
    { name: 'vib', impute: 0.5, mean: 1, std: 2 },
  ],
};

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('preprocessTabular', () => {
  it('scales array rows in feature order to float32 [N, F]', () => {
    const out = preprocessTabular(spec, [[25, 1000, 3]]);
    expect(out.dims).toEqual([1, 3]);
    expect(out.data).toBeInstanceOf(Float32Array);
    expect([...out.data]).toEqual([1, 0, 1]);
  });

  it('imputes null, undefined, NaN and empty strings before clipping and scaling', () => {
    const out = preprocessTabular(spec, [
      [null, 1200, Number.NaN],
      [undefined, 1000, ''],
    ]);
    expect([...out.data]).toEqual([0, 200, -0.25, 0, 0, -0.25]);
  });

  it('clips to the bounds before scaling', () => {
    const out = preprocessTabular(spec, [
      [500, 1000, 1],
      [-100, 1000, 1],
    ]);
    expect([...out.data]).toEqual([(120 - 20) / 5, 0, 0, (-40 - 20) / 5, 0, 0]);
  });

  it('treats std 0 as 1 (constant training feature): x - mean', () => {
    const out = preprocessTabular(spec, [[20, 999.5, 1]]);
    expect(out.data[1]).toBe(-0.5);
  });

  it('accepts decimal strings as numbers', () => {
    const out = preprocessTabular(spec, [['30', ' 1000.5 ', '-1e0']]);
    expect([...out.data]).toEqual([2, 0.5, -1]);
  });

  it('reads record rows by feature name, whatever the key order, ignoring extra keys', () => {
    const out = preprocessTabular(spec, [
      { vib: 5, site: 'plant-7', rpm: 1000, temp: 30 },
      { rpm: 1001 },
    ]);
    expect([...out.data]).toEqual([2, 0, 2, 0, 1, -0.25]);
  });

  it('gives the same tensor for a record and the equivalent array row', () => {
    const byName = preprocessTabular(spec, [{ rpm: 1234, vib: 0.25, temp: 17 }]);
    const byOrder = preprocessTabular(spec, [[17, 1234, 0.25]]);
    expect(byName).toEqual(byOrder);
  });

  it('computes in float64 and rounds to float32 once', () => {
    const one: TabularPreprocessSpec = {
      kind: 'tabular',
      input: 'x',
      features: [{ name: 'a', mean: 0.1, std: 0.3 }],
    };
    const out = preprocessTabular(one, [[0.7], [1 / 3]]);
    expect(out.data[0]).toBe(Math.fround((0.7 - 0.1) / 0.3));
    expect(out.data[1]).toBe(Math.fround((1 / 3 - 0.1) / 0.3));
  });
});

describe('rejects tabular input', () => {
  it('rejects a finite value that overflows float32 after scaling', () => {
    const spec = {
      kind: 'tabular' as const,
      input: 'x',
      features: [{ name: 'a', mean: 0, std: 1 }],
    };
    expect(() => preprocessTabular(spec, [[1e39]])).toThrow(
      expect.objectContaining({ code: 'EF_RUNTIME_INPUT_NAN' }),
    );
  });

  it('rejects NaN for a feature without an impute value, naming feature and row', () => {
    const err = thrown(() =>
      preprocessTabular(spec, [
        [20, 1000, 1],
        [20, Number.NaN, 1],
      ]),
    );
    expect(err).toBeInstanceOf(PreprocessError);
    expect(err).toBeInstanceOf(EdgefleetError);
    expect(err).toMatchObject({
      code: 'EF_RUNTIME_INPUT_NAN',
      details: { row: 1, feature: 'rpm' },
    });
    expect((err as Error).message).toMatch(/row 1.*"rpm"/);
  });

  it('rejects null for a feature without an impute value', () => {
    expect(thrown(() => preprocessTabular(spec, [{ temp: 1, rpm: null, vib: 1 }]))).toMatchObject({
      code: 'EF_RUNTIME_INPUT_NAN',
      details: { row: 0, feature: 'rpm' },
    });
  });

  it('rejects a record missing a feature that has no impute value', () => {
    expect(thrown(() => preprocessTabular(spec, [{ temp: 20, vib: 1 }]))).toMatchObject({
      code: 'EF_RUNTIME_FEATURE_MISSING',
      details: { row: 0, feature: 'rpm' },
    });
  });

  it('rejects an array row of the wrong length', () => {
    expect(
      thrown(() =>
        preprocessTabular(spec, [
          [1, 2, 3],
          [1, 2],
        ]),
      ),
    ).toMatchObject({
      code: 'EF_RUNTIME_INPUT_SHAPE',
      details: { row: 1, expected: 3, received: 2 },
    });
  });

  it('rejects a non-numeric string', () => {
    expect(thrown(() => preprocessTabular(spec, [[20, 'fast', 1]]))).toMatchObject({
      code: 'EF_RUNTIME_INPUT_TYPE',
      details: { row: 0, feature: 'rpm' },
    });
  });

  it("rejects the string 'NaN' (only decimal notation is a number)", () => {
    expect(thrown(() => preprocessTabular(spec, [[20, 'NaN', 1]]))).toMatchObject({
      code: 'EF_RUNTIME_INPUT_TYPE',
    });
  });

  it('rejects a boolean value', () => {
    const row = [20, true, 1] as unknown as number[];
    expect(thrown(() => preprocessTabular(spec, [row]))).toMatchObject({
      code: 'EF_RUNTIME_INPUT_TYPE',
    });
  });

  it('rejects Infinity even when the feature has an impute value', () => {
    expect(thrown(() => preprocessTabular(spec, [[Infinity, 1000, 1]]))).toMatchObject({
      code: 'EF_RUNTIME_INPUT_NAN',
      details: { row: 0, feature: 'temp' },
    });
  });

  it('rejects a row that is neither an array nor a record', () => {
    const rows = [42] as unknown as number[][];
    expect(thrown(() => preprocessTabular(spec, rows))).toMatchObject({
      code: 'EF_RUNTIME_INPUT_TYPE',
      details: { row: 0 },
    });
  });

  it('rejects an empty batch', () => {
    expect(thrown(() => preprocessTabular(spec, []))).toMatchObject({
      code: 'EF_RUNTIME_INPUT_SHAPE',
    });
  });

  it('rejects a spec with a negative std', () => {
    const bad: TabularPreprocessSpec = {
      kind: 'tabular',
      input: 'x',
      features: [{ name: 'a', mean: 0, std: -1 }],
    };
    expect(thrown(() => preprocessTabular(bad, [[1]]))).toMatchObject({
      code: 'EF_RUNTIME_PREPROCESS_SPEC',
    });
  });
});
