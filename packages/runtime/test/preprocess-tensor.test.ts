import { describe, expect, it } from 'vitest';

import { preprocessBatch } from '../src/preprocess/preprocess-batch.js';
import type { TensorPreprocessSpec } from '../src/preprocess/preprocess-spec.js';
import { preprocessTensors } from '../src/preprocess/tensor-preprocess.js';

const spec: TensorPreprocessSpec = { kind: 'tensor', input: 'signal' };

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('preprocessTensors', () => {
  it('stacks [1, 512] signals into a float32 [N, 1, 512] batch', () => {
    const a = Array.from({ length: 512 }, (_, i) => Math.sin(i / 10));
    const b = Array.from({ length: 512 }, (_, i) => i);
    const out = preprocessTensors(spec, ['batch', 1, 512], [[a], [b]]);
    expect(out.dims).toEqual([2, 1, 512]);
    expect(out.data[3]).toBe(Math.fround(Math.sin(0.3)));
    expect(out.data[512 + 511]).toBe(511);
  });

  it('accepts typed arrays as the innermost level', () => {
    const out = preprocessTensors(spec, ['N', 2, 3], [[Float64Array.of(1, 2, 3), [4, 5, 6]]]);
    expect(out.dims).toEqual([1, 2, 3]);
    expect([...out.data]).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('accepts any positive size for a symbolic dim, the same for the whole batch', () => {
    const out = preprocessTensors(
      spec,
      ['N', 'time', 2],
      [
        [
          [1, 2],
          [3, 4],
          [5, 6],
        ],
      ],
    );
    expect(out.dims).toEqual([1, 3, 2]);
  });

  it('accepts a fixed batch dim equal to the number of samples', () => {
    expect(preprocessTensors(spec, [1, 3], [[1, 2, 3]]).dims).toEqual([1, 3]);
  });

  it('checks samples only against each other when the model shape is unknown', () => {
    expect(
      preprocessTensors(
        spec,
        [],
        [
          [1, 2],
          [3, 4],
        ],
      ).dims,
    ).toEqual([2, 2]);
  });

  it('is what preprocessBatch does for tensor specs, given the model input shape', async () => {
    const samples = [[[1, 2, 3]], [[4, 5, 6]]];
    expect(await preprocessBatch(spec, samples, { modelInputShape: ['N', 1, 3] })).toEqual(
      preprocessTensors(spec, ['N', 1, 3], samples),
    );
  });

  it('dispatches tabular specs from preprocessBatch', async () => {
    const tab = {
      kind: 'tabular' as const,
      input: 'x',
      features: [{ name: 'a', mean: 1, std: 2 }],
    };
    expect(await preprocessBatch(tab, [[5], { a: 3 }])).toEqual({
      data: Float32Array.of(2, 1),
      dims: [2, 1],
    });
  });
});

describe('rejects tensor input', () => {
  it('rejects a wrong fixed dim, naming expected and received shape and the sample', () => {
    const err = thrown(() => preprocessTensors(spec, ['N', 1, 4], [[[1, 2, 3, 4]], [[1, 2, 3]]]));
    expect(err).toMatchObject({
      code: 'EF_RUNTIME_INPUT_SHAPE',
      details: { sample: 1, expected: [1, 4], received: [1, 3] },
    });
    expect((err as Error).message).toMatch(/sample 1 .*\[1, 3\].*expected \[1, 4\]/);
  });

  it('rejects a wrong rank', () => {
    expect(thrown(() => preprocessTensors(spec, ['N', 1, 3], [[1, 2, 3]]))).toMatchObject({
      code: 'EF_RUNTIME_INPUT_SHAPE',
      details: { sample: 0, expected: [1, 3], received: [3] },
    });
  });

  it('rejects a ragged sample', () => {
    const ragged = [
      [1, 2],
      [3, 4, 5],
    ];
    expect(thrown(() => preprocessTensors(spec, ['N', 2, 'T'], [ragged]))).toMatchObject({
      code: 'EF_RUNTIME_INPUT_SHAPE',
      details: { sample: 0, path: [1] },
    });
  });

  it('rejects samples of different sizes for a symbolic dim', () => {
    expect(
      thrown(() =>
        preprocessTensors(
          spec,
          ['N', 'T'],
          [
            [1, 2],
            [1, 2, 3],
          ],
        ),
      ),
    ).toMatchObject({
      code: 'EF_RUNTIME_INPUT_SHAPE',
      details: { sample: 1, received: [3] },
    });
  });

  it('rejects a batch larger than a fixed batch dim', () => {
    expect(
      thrown(() =>
        preprocessTensors(
          spec,
          [1, 2],
          [
            [1, 2],
            [3, 4],
          ],
        ),
      ),
    ).toMatchObject({
      code: 'EF_RUNTIME_INPUT_SHAPE',
    });
  });

  it('rejects a zero-size symbolic dim', () => {
    expect(thrown(() => preprocessTensors(spec, ['N', 'T'], [[]]))).toMatchObject({
      code: 'EF_RUNTIME_INPUT_SHAPE',
    });
  });

  it('rejects a non-number, naming where it is', () => {
    expect(
      thrown(() =>
        preprocessTensors(
          spec,
          ['N', 2, 2],
          [
            [
              [1, 2],
              [3, '4'],
            ],
          ],
        ),
      ),
    ).toMatchObject({
      code: 'EF_RUNTIME_INPUT_TYPE',
      details: { sample: 0, path: [1, 1] },
    });
  });

  it('rejects NaN', () => {
    expect(thrown(() => preprocessTensors(spec, ['N', 2], [[1, Number.NaN]]))).toMatchObject({
      code: 'EF_RUNTIME_INPUT_NAN',
      details: { sample: 0, path: [1] },
    });
  });

  it('rejects an empty batch', () => {
    expect(thrown(() => preprocessTensors(spec, ['N', 2], []))).toMatchObject({
      code: 'EF_RUNTIME_INPUT_SHAPE',
    });
  });

  it('rejects an unknown spec kind in preprocessBatch', async () => {
    const bad = { kind: 'audio', input: 'x' } as unknown as TensorPreprocessSpec;
    await expect(preprocessBatch(bad, [1])).rejects.toMatchObject({
      code: 'EF_RUNTIME_PREPROCESS_SPEC',
    });
  });
});
