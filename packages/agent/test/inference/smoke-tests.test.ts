import type { SmokeTest } from '@edgefleet/protocol';
import { describe, expect, it } from 'vitest';

import { compareSmokeOutputs } from '../../src/inference/smoke-tests.js';
import { resolveWorkerEntry } from '../../src/inference/worker-entry.js';

const test: SmokeTest = {
  inputs: { x: { dims: [1, 2], data: [0, 0] } },
  expected: { y: { dims: [1, 3], data: [1, -100, 0] } },
  tolerance: { abs: 0.01, rel: 0.001 },
};
const out = (data: number[], dims = [1, 3]) => ({
  y: { data: Float32Array.from(data), dims, type: 'float32' as const },
});

describe('compareSmokeOutputs', () => {
  it('accepts outputs within abs + rel * |expected|', () => {
    // At -100 the allowance is 0.01 + 0.1 = 0.11.
    expect(compareSmokeOutputs(test, 0, out([1.009, -100.1, -0.009]))).toBeUndefined();
  });

  it('names the worst element outside the tolerance', () => {
    const mismatch = compareSmokeOutputs(test, 2, out([1.02, -100.5, 0]));
    expect(mismatch).toMatchObject({ test: 2, output: 'y', index: 1, expected: -100 });
    expect(mismatch!.maxAbsError).toBeCloseTo(0.5, 4);
  });

  it('fails NaN outputs, wrong dims and missing outputs', () => {
    expect(compareSmokeOutputs(test, 0, out([NaN, -100, 0]))?.index).toBe(0);
    expect(compareSmokeOutputs(test, 0, out([1, -100, 0], [3, 1]))?.index).toBe(-1);
    expect(compareSmokeOutputs(test, 0, {})?.why).toMatch(/no such output/);
  });
});

describe('resolveWorkerEntry', () => {
  it('starts the built .js worker plainly and the .ts source through tsx', () => {
    const built = resolveWorkerEntry('file:///opt/agent/dist/inference/model-host.js');
    expect(String(built.script)).toBe('file:///opt/agent/dist/inference/inference-worker.js');
    expect(built.options.eval).toBeUndefined();
    const source = resolveWorkerEntry(
      new URL('../../src/inference/model-host.ts', import.meta.url).href,
    );
    expect(source.options).toMatchObject({ eval: true, execArgv: ['--conditions=source'] });
    expect((source.options.workerData as { entry: string }).entry).toMatch(/inference-worker\.ts$/);
  });
});
