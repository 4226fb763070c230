/**
 * Replaying a bundle's smoke tests on this device before it may serve (DESIGN section 8): the
 * compiler recorded preprocessed inputs and the outputs it got; the outputs here must match
 * within the recorded tolerance, |actual - expected| <= abs + rel * |expected| (numpy's
 * allclose), or the bundle is refused.
 */
import type { SmokeTest } from '@edgefleet/protocol';
import type {
  FeedTensor,
  ModelValueInfo,
  OutputTensor,
  TensorData,
  TensorDataType,
} from '@edgefleet/runtime';

import { InferenceError } from './inference-errors.js';

/** The worst element of a smoke test that failed. */
export interface SmokeTestMismatch {
  test: number;
  output: string;
  /** Index of the worst element in the flattened output, or -1 for a missing output or shape. */
  index: number;
  maxAbsError: number;
  expected: number;
  actual: number;
  tolerance: SmokeTest['tolerance'];
  why: string;
}

/**
 * Runs every smoke test through `run` and throws EF_AGENT_SMOKE_TEST at the first mismatch.
 *
 * @example
 * await runSmokeTests(manifest.smokeTests, session.inputs, (feeds) => pool.runOn(0, key, feeds));
 */
export async function runSmokeTests(
  tests: readonly SmokeTest[],
  inputs: readonly ModelValueInfo[],
  run: (feeds: Record<string, FeedTensor>) => Promise<Record<string, OutputTensor>>,
  where: Record<string, unknown> = {},
): Promise<void> {
  for (let t = 0; t < tests.length; t++) {
    const test = tests[t]!;
    const outputs = await run(smokeFeeds(test, inputs, t));
    const mismatch = compareSmokeOutputs(test, t, outputs);
    if (mismatch !== undefined) {
      throw new InferenceError(
        'EF_AGENT_SMOKE_TEST',
        `smoke test ${t}, output "${mismatch.output}": ${mismatch.why}`,
        { ...where, ...mismatch },
      );
    }
  }
}

/** The first output of `test` outside its tolerance, or undefined when all match. */
export function compareSmokeOutputs(
  test: SmokeTest,
  testIndex: number,
  outputs: Readonly<Record<string, OutputTensor>>,
): SmokeTestMismatch | undefined {
  const { abs, rel } = test.tolerance;
  for (const [name, expected] of Object.entries(test.expected)) {
    const base = { test: testIndex, output: name, tolerance: test.tolerance };
    const actual = outputs[name];
    const sameDims =
      actual !== undefined &&
      actual.dims.length === expected.dims.length &&
      actual.dims.every((d, i) => d === expected.dims[i]);
    if (actual === undefined || !sameDims || actual.data.length !== expected.data.length) {
      const got = actual === undefined ? 'no such output' : `dims [${actual.dims.join(', ')}]`;
      const why = `expected dims [${expected.dims.join(', ')}], got ${got}`;
      return { ...base, index: -1, maxAbsError: Infinity, expected: NaN, actual: NaN, why };
    }
    const values = actual.data as ArrayLike<number | bigint | string>;
    let worst: SmokeTestMismatch | undefined;
    for (let i = 0; i < expected.data.length; i++) {
      const e = expected.data[i]!;
      const a = Number(values[i]);
      const error = Math.abs(a - e);
      // NaN compares false: a NaN output is a failure, never a pass.
      const within = error <= abs + rel * Math.abs(e);
      if (!within && (worst === undefined || !(error <= worst.maxAbsError))) {
        const why = `max |error| ${error} at index ${i} (expected ${e}, got ${a}) is over the tolerance (abs ${abs}, rel ${rel})`;
        worst = { ...base, index: i, maxAbsError: error, expected: e, actual: a, why };
      }
    }
    if (worst !== undefined) return worst;
  }
  return undefined;
}

function smokeFeeds(
  test: SmokeTest,
  inputs: readonly ModelValueInfo[],
  testIndex: number,
): Record<string, FeedTensor> {
  const feeds: Record<string, FeedTensor> = {};
  for (const [name, tensor] of Object.entries(test.inputs)) {
    const info = inputs.find((i) => i.name === name);
    const type = info?.type ?? 'float32';
    const data = typedData(type, tensor.data);
    if (data === undefined) {
      throw new InferenceError(
        'EF_AGENT_SMOKE_TEST',
        `smoke test ${testIndex}: input "${name}" has element type ${type}, which a smoke test cannot feed`,
        { test: testIndex, input: name, type },
      );
    }
    feeds[name] = { data, dims: tensor.dims, type: type as TensorDataType };
  }
  return feeds;
}

function typedData(type: string, values: readonly number[]): TensorData | undefined {
  switch (type) {
    case 'float32':
      return Float32Array.from(values);
    case 'float64':
      return Float64Array.from(values);
    case 'int32':
      return Int32Array.from(values);
    case 'int8':
      return Int8Array.from(values);
    case 'uint8':
    case 'bool':
      return Uint8Array.from(values);
    case 'int64':
      return BigInt64Array.from(values, (v) => BigInt(Math.trunc(v)));
    default:
      return undefined;
  }
}
