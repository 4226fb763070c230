import { describe, expect, it } from 'vitest';
import { driftFeatureNames, driftFeatureRows } from '../src/drift/drift-features.js';

describe('drift features', () => {
  it('tabular features are the spec features by name', () => {
    const spec = {
      kind: 'tabular' as const,
      input: 'x',
      features: [
        { name: 'a', mean: 0, std: 1 },
        { name: 'b', mean: 0, std: 1 },
      ],
    };
    expect(driftFeatureNames(spec, ['batch', 2])).toEqual(['a', 'b']);
    expect(() => driftFeatureRows(spec, { data: new Float32Array(2), dims: [1, 2] })).toThrow(
      /raw rows/,
    );
  });

  it('a [N, C, L] tensor gives per-channel mean and std per sample', () => {
    const spec = { kind: 'tensor' as const, input: 'x' };
    expect(driftFeatureNames(spec, ['batch', 2, 4])).toEqual([
      'c0_mean',
      'c0_std',
      'c1_mean',
      'c1_std',
    ]);
    // sample 0: channel 0 = [1,1,1,1] (mean 1, std 0), channel 1 = [0,2,0,2] (mean 1, std 1)
    // sample 1: channel 0 = [-1,1,-1,1] (mean 0, std 1), channel 1 = [3,3,3,3]
    const data = Float32Array.from([1, 1, 1, 1, 0, 2, 0, 2, -1, 1, -1, 1, 3, 3, 3, 3]);
    expect(driftFeatureRows(spec, { data, dims: [2, 2, 4] })).toEqual([
      [1, 0, 1, 1],
      [0, 1, 3, 0],
    ]);
  });

  it('a [N, L] tensor is one channel', () => {
    const spec = { kind: 'tensor' as const, input: 'x' };
    expect(driftFeatureNames(spec, ['batch', 4])).toEqual(['c0_mean', 'c0_std']);
    expect(driftFeatureRows(spec, { data: Float32Array.from([0, 2, 0, 2]), dims: [1, 4] })).toEqual(
      [[1, 1]],
    );
  });

  it('nhwc and nchw images give the same per-channel numbers', () => {
    const base = {
      kind: 'image' as const,
      input: 'x',
      width: 2,
      height: 1,
      fit: 'fill' as const,
      channels: 3 as const,
      mean: [0, 0, 0],
      std: [1, 1, 1],
    };
    // two pixels: (r,g,b) = (0,1,2) and (2,1,0)
    const nhwc = driftFeatureRows(
      { ...base, layout: 'nhwc' },
      { data: Float32Array.from([0, 1, 2, 2, 1, 0]), dims: [1, 1, 2, 3] },
    );
    const nchw = driftFeatureRows(
      { ...base, layout: 'nchw' },
      { data: Float32Array.from([0, 2, 1, 1, 2, 0]), dims: [1, 3, 1, 2] },
    );
    expect(nhwc).toEqual([[1, 1, 1, 0, 1, 1]]);
    expect(nchw).toEqual(nhwc);
  });

  it('rejects a shape whose channel count cannot be read', () => {
    expect(() => driftFeatureNames({ kind: 'tensor', input: 'x' }, ['batch', 'c', 'l'])).toThrow(
      /channel count/,
    );
  });
});
