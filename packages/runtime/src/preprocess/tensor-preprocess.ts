import { describeValue } from './describe-value.js';
import { PreprocessError } from './preprocess-errors.js';
import type {
  ModelInputShape,
  PreprocessedTensor,
  TensorPreprocessSpec,
} from './preprocess-spec.js';

/** One sample: a number, or (nested) arrays of numbers; typed arrays are accepted as leaves. */
export type TensorSample = number | ArrayLike<number> | ReadonlyArray<TensorSample>;

/**
 * Stacks samples (each shaped like the model input without its batch dim) into a float32
 * [N, ...] tensor, checking them against the model's input shape first.
 *
 * `modelShape` is the input's shape as onnxruntime reports it, batch dim first: fixed dims
 * must match exactly, symbolic dims accept any positive size, but all samples of one batch
 * must agree (a tensor cannot be ragged). A fixed batch dim must equal the number of samples.
 * An empty `modelShape` means "unknown" (onnxruntime reports that for undeclared shapes): the
 * samples are then only checked against each other.
 *
 * @throws PreprocessError EF_RUNTIME_INPUT_SHAPE (naming expected and received shape and the
 *   sample), EF_RUNTIME_INPUT_TYPE (a non-number), EF_RUNTIME_INPUT_NAN (NaN or infinite).
 * @example
 * // A model input [batch, 1, 512]: each sample is one 512-long channel.
 * const { dims } = preprocessTensors({ kind: 'tensor', input: 'signal' }, ['batch', 1, 512],
 *   [[signalA], [signalB]]);
 * // dims -> [2, 1, 512]
 */
export function preprocessTensors(
  spec: TensorPreprocessSpec,
  modelShape: ModelInputShape,
  samples: readonly unknown[],
): PreprocessedTensor {
  if (!Array.isArray(samples)) {
    throw new PreprocessError('EF_RUNTIME_INPUT_TYPE', 'tensor input must be an array of samples', {
      input: spec.input,
    });
  }
  if (samples.length === 0) {
    throw new PreprocessError('EF_RUNTIME_INPUT_SHAPE', 'tensor input needs at least one sample', {
      input: spec.input,
    });
  }
  const known = modelShape.length > 0;
  const batchDim = modelShape[0];
  if (known && typeof batchDim === 'number' && batchDim !== samples.length) {
    throw new PreprocessError(
      'EF_RUNTIME_INPUT_SHAPE',
      `input "${spec.input}" takes a batch of exactly ${batchDim} sample(s), got ${samples.length}`,
      { input: spec.input, expected: [...modelShape], received: samples.length },
    );
  }
  const expected = known ? modelShape.slice(1) : undefined;
  const sampleDims = observedDims(samples[0]);
  checkSampleDims(spec, expected ?? sampleDims, sampleDims, 0);

  const perSample = sampleDims.reduce((a, b) => a * b, 1);
  const data = new Float32Array(samples.length * perSample);
  samples.forEach((sample, index) => {
    if (index > 0) checkSampleDims(spec, sampleDims, observedDims(sample), index);
    const state = { data, at: index * perSample, spec, sample: index };
    copyLeaves(sample, sampleDims, 0, [], state);
  });
  return { data, dims: [samples.length, ...sampleDims] };
}

/** The shape of a sample read along its first elements (raggedness is caught while copying). */
function observedDims(value: unknown): number[] {
  const dims: number[] = [];
  let v = value;
  while (Array.isArray(v) || isNumericTypedArray(v)) {
    const arr = v as ArrayLike<unknown>;
    dims.push(arr.length);
    if (arr.length === 0 || !Array.isArray(v)) break;
    v = arr[0];
  }
  return dims;
}

function checkSampleDims(
  spec: TensorPreprocessSpec,
  expected: ReadonlyArray<number | string>,
  received: readonly number[],
  sample: number,
): void {
  const fits =
    expected.length === received.length &&
    expected.every((d, i) => (typeof d === 'number' ? d === received[i] : received[i]! > 0));
  if (!fits) {
    throw new PreprocessError(
      'EF_RUNTIME_INPUT_SHAPE',
      `sample ${sample} of input "${spec.input}" has shape [${received.join(', ')}], expected [${expected.join(', ')}]`,
      { input: spec.input, sample, expected: [...expected], received: [...received] },
    );
  }
}

interface CopyState {
  data: Float32Array;
  at: number;
  spec: TensorPreprocessSpec;
  sample: number;
}

function copyLeaves(
  value: unknown,
  dims: readonly number[],
  depth: number,
  path: number[],
  state: CopyState,
): void {
  if (depth === dims.length) {
    copyLeaf(value, path, state);
    return;
  }
  const isArray = Array.isArray(value) || isNumericTypedArray(value);
  const arr = value as ArrayLike<unknown>;
  if (!isArray || arr.length !== dims[depth]) {
    throw new PreprocessError(
      'EF_RUNTIME_INPUT_SHAPE',
      `${where(state, path)} is ${describeValue(value)}, expected an array of length ${dims[depth]} (ragged sample)`,
      errorDetails(state, path),
    );
  }
  for (let i = 0; i < arr.length; i++) {
    path.push(i);
    copyLeaves(arr[i], dims, depth + 1, path, state);
    path.pop();
  }
}

function copyLeaf(value: unknown, path: number[], state: CopyState): void {
  if (typeof value !== 'number') {
    throw new PreprocessError(
      'EF_RUNTIME_INPUT_TYPE',
      `${where(state, path)} is ${describeValue(value)}, expected a number`,
      errorDetails(state, path),
    );
  }
  if (!Number.isFinite(value)) {
    throw new PreprocessError(
      'EF_RUNTIME_INPUT_NAN',
      `${where(state, path)} is ${value}`,
      errorDetails(state, path),
    );
  }
  state.data[state.at++] = value;
}

function where(state: CopyState, path: readonly number[]): string {
  return `sample ${state.sample}${path.map((i) => `[${i}]`).join('')}`;
}

function errorDetails(state: CopyState, path: readonly number[]): Record<string, unknown> {
  return { input: state.spec.input, sample: state.sample, path: [...path] };
}

function isNumericTypedArray(v: unknown): v is ArrayLike<number> {
  return (
    ArrayBuffer.isView(v) &&
    !(v instanceof DataView) &&
    !(v instanceof BigInt64Array) &&
    !(v instanceof BigUint64Array)
  );
}
