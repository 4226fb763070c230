import { SessionError } from './session-errors.js';
import type { TensorData } from './tensor-types.js';

/** How to read a model output; mirrors the manifest's postprocess section. */
export interface PostprocessSpec {
  task: 'classification' | 'regression';
  /** Class names by index; for a single-score binary output, [negative, positive]. */
  labels?: string[];
  /**
   * Whether the output already holds probabilities (the graph ends in Softmax/Sigmoid) rather
   * than logits. It cannot be detected reliably from values, so it is stated; absent = logits.
   */
  outputIsProbabilities?: boolean;
}

export interface ClassificationResult {
  classIndex: number;
  /** labels[classIndex], or the index as a string when there are no labels. */
  label: string;
  /** One probability per class. */
  scores: number[];
}

export interface RegressionResult {
  values: number[];
}

/** The output tensor: dims[0] is the batch, the remaining dims are flattened per sample. */
export interface PostprocessInput {
  data: TensorData;
  dims: readonly number[];
}

/**
 * Turns a classification output into per-sample class, label and probabilities, or a
 * regression output into per-sample values.
 *
 * Classification: an output with K > 1 scores per sample gets a numerically stable softmax
 * (max subtracted first) unless it already holds probabilities; an output with one score per
 * sample is binary, its score is P(positive) (after a sigmoid when it is a logit), and scores are
 * [1 - p, p]. The class is the argmax, ties going to the lower index (as numpy's argmax).
 *
 * @throws SessionError EF_RUNTIME_OUTPUT_SHAPE when the output has no batch dim or the labels
 *   do not match the number of classes.
 * @example
 * postprocess({ data: Float32Array.of(2, 0, 0), dims: [1, 3] },
 *   { task: 'classification', labels: ['ok', 'worn', 'broken'] });
 * // -> [{ classIndex: 0, label: 'ok', scores: [0.787, 0.107, 0.107] }]
 */
export function postprocess(
  output: PostprocessInput,
  spec: PostprocessSpec & { task: 'classification' },
): ClassificationResult[];
export function postprocess(
  output: PostprocessInput,
  spec: PostprocessSpec & { task: 'regression' },
): RegressionResult[];
export function postprocess(
  output: PostprocessInput,
  spec: PostprocessSpec,
): ClassificationResult[] | RegressionResult[];
export function postprocess(
  output: PostprocessInput,
  spec: PostprocessSpec,
): ClassificationResult[] | RegressionResult[] {
  const rows = splitSamples(output);
  if (spec.task === 'regression') return rows.map((values) => ({ values }));
  const width = rows[0]?.length ?? 0;
  const classes = width === 1 ? 2 : width;
  if (width === 0) {
    throw new SessionError('EF_RUNTIME_OUTPUT_SHAPE', 'classification output has no scores', {
      dims: [...output.dims],
    });
  }
  if (spec.labels !== undefined && spec.labels.length !== classes) {
    throw new SessionError(
      'EF_RUNTIME_OUTPUT_SHAPE',
      `the output has ${classes} classes but ${spec.labels.length} labels were given`,
      { dims: [...output.dims], labels: spec.labels.length },
    );
  }
  const probabilities = spec.outputIsProbabilities === true;
  return rows.map((row) => {
    const scores =
      width === 1 ? binaryScores(row[0]!, probabilities) : probabilities ? row : softmax(row);
    const classIndex = argmax(scores);
    return { classIndex, label: spec.labels?.[classIndex] ?? String(classIndex), scores };
  });
}

/**
 * Softmax computed in float64 with the maximum subtracted, so large logits do not overflow.
 *
 * @example
 * softmax([1000, 1000]); // [0.5, 0.5]
 */
export function softmax(logits: readonly number[]): number[] {
  const max = Math.max(...logits);
  const exps = logits.map((x) => Math.exp(x - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

function binaryScores(score: number, isProbability: boolean): number[] {
  // Stable sigmoid: exp of a non-positive number only.
  const p = isProbability
    ? score
    : score >= 0
      ? 1 / (1 + Math.exp(-score))
      : Math.exp(score) / (1 + Math.exp(score));
  return [1 - p, p];
}

function argmax(values: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

function splitSamples(output: PostprocessInput): number[][] {
  const { data, dims } = output;
  if (dims.length === 0) {
    throw new SessionError('EF_RUNTIME_OUTPUT_SHAPE', 'output has no batch dim (it is a scalar)', {
      dims: [],
    });
  }
  const n = dims[0]!;
  const per = dims.slice(1).reduce((a, b) => a * b, 1);
  if (n * per !== data.length) {
    throw new SessionError(
      'EF_RUNTIME_OUTPUT_SHAPE',
      `output dims [${dims.join(', ')}] do not match its ${data.length} values`,
      { dims: [...dims], length: data.length },
    );
  }
  const values = Array.from(data as ArrayLike<number | bigint | string>, Number);
  return Array.from({ length: n }, (_, i) => values.slice(i * per, (i + 1) * per));
}
