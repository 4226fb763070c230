import { describe, expect, it } from 'vitest';

import { percentile } from '../src/session/latency.js';
import { postprocess, softmax } from '../src/session/postprocess.js';

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('postprocess', () => {
  it('applies a stable softmax to logits, per sample', () => {
    const out = postprocess(
      { data: Float32Array.of(2, 0, 0, 1000, 1001, 999), dims: [2, 3] },
      { task: 'classification', labels: ['ok', 'worn', 'broken'] },
    );
    const e = Math.exp(2);
    expect(out[0]!.classIndex).toBe(0);
    expect(out[0]!.label).toBe('ok');
    expect(out[0]!.scores[0]).toBeCloseTo(e / (e + 2), 12);
    expect(out[1]!.classIndex).toBe(1);
    expect(out[1]!.label).toBe('worn');
    expect(out[1]!.scores.every(Number.isFinite)).toBe(true);
    expect(out[1]!.scores.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it('keeps probabilities as they are when the output already holds them', () => {
    const [r] = postprocess(
      { data: Float32Array.of(0.25, 0.75), dims: [1, 2] },
      { task: 'classification', outputIsProbabilities: true },
    );
    expect(r).toEqual({ classIndex: 1, label: '1', scores: [0.25, 0.75] });
  });

  it('reads one score per sample as a binary logit (sigmoid)', () => {
    const out = postprocess(
      { data: Float32Array.of(0, 3, -800), dims: [3, 1] },
      { task: 'classification', labels: ['good', 'defect'] },
    );
    expect(out[0]!.scores).toEqual([0.5, 0.5]);
    expect(out[0]!.classIndex).toBe(0); // ties go to the lower index
    expect(out[1]!.label).toBe('defect');
    expect(out[1]!.scores[1]).toBeCloseTo(1 / (1 + Math.exp(-3)), 12);
    expect(out[2]!.scores).toEqual([1, 0]);
  });

  it('returns regression values per sample', () => {
    expect(
      postprocess({ data: Float64Array.of(1.5, 2, 3, 4), dims: [2, 2] }, { task: 'regression' }),
    ).toEqual([{ values: [1.5, 2] }, { values: [3, 4] }]);
  });

  it('softmax does not overflow on large logits', () => {
    expect(softmax([1000, 1000])).toEqual([0.5, 0.5]);
  });

  it('percentile interpolates linearly between ranks', () => {
    expect(percentile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(percentile([5], 0.99)).toBe(5);
    expect(percentile([0, 10], 0.95)).toBeCloseTo(9.5, 12);
  });
});

describe('rejects outputs that do not fit the postprocess spec', () => {
  it('rejects a label count that differs from the class count', () => {
    expect(
      thrown(() =>
        postprocess(
          { data: new Float32Array(3), dims: [1, 3] },
          {
            task: 'classification',
            labels: ['a', 'b'],
          },
        ),
      ),
    ).toMatchObject({ code: 'EF_RUNTIME_OUTPUT_SHAPE' });
  });

  it('rejects dims that do not match the data length', () => {
    expect(
      thrown(() =>
        postprocess({ data: new Float32Array(5), dims: [2, 3] }, { task: 'regression' }),
      ),
    ).toMatchObject({ code: 'EF_RUNTIME_OUTPUT_SHAPE' });
  });

  it('rejects a scalar output', () => {
    expect(
      thrown(() => postprocess({ data: new Float32Array(1), dims: [] }, { task: 'regression' })),
    ).toMatchObject({ code: 'EF_RUNTIME_OUTPUT_SHAPE' });
  });
});
