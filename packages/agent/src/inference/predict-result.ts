/** The answer to a prediction request: raw outputs per row plus the manifest's reading of them. */
import type { Manifest } from '@edgefleet/protocol';
import { postprocess, type OutputTensor } from '@edgefleet/runtime';

/** Nested arrays shaped like one row of an output (the batch dim removed). */
export type NestedValues = number | string | NestedValues[];

/** One row's classification: the top class with its probability, and every class's score. */
export interface ClassPrediction {
  label: string;
  classIndex: number;
  probability: number;
  /** One probability per class, in the order of the bundle's labels. */
  scores: number[];
}

/** One row's regression values (`value` when the model gives one per row). */
export interface ValuePrediction {
  value?: number;
  values: number[];
}

export type Prediction = ClassPrediction | ValuePrediction;

export interface PredictResult {
  model: string;
  version: string;
  /** Every tensor output by name: one entry per row. */
  outputs: Record<string, NestedValues[]>;
  /** One per row, read from the manifest's postprocess output. */
  predictions: Prediction[];
  /** From the call to the answer, queueing and preprocessing included. */
  latencyMs: number;
}

/**
 * Builds the response body parts from the model's outputs.
 *
 * @throws SessionError EF_RUNTIME_OUTPUT_SHAPE when the output does not fit the postprocess spec.
 * @example
 * const { outputs, predictions } = readOutputs(manifest, await pool.run(key, feeds));
 */
export function readOutputs(
  manifest: Manifest,
  tensors: Readonly<Record<string, OutputTensor>>,
): Pick<PredictResult, 'outputs' | 'predictions'> {
  const outputs: Record<string, NestedValues[]> = {};
  for (const [name, tensor] of Object.entries(tensors)) outputs[name] = rowsOf(tensor);
  const spec = manifest.postprocess;
  const main = tensors[spec.output];
  if (main === undefined) return { outputs, predictions: [] };
  if (spec.task === 'regression') {
    const predictions = postprocess(main, { task: 'regression' }).map(({ values }) =>
      values.length === 1 ? { value: values[0]!, values } : { values },
    );
    return { outputs, predictions };
  }
  const predictions = postprocess(main, {
    task: 'classification',
    ...(spec.labels === undefined ? {} : { labels: spec.labels }),
    ...(spec.outputIsProbabilities === undefined
      ? {}
      : { outputIsProbabilities: spec.outputIsProbabilities }),
  }).map(({ label, classIndex, scores }) => ({
    label,
    classIndex,
    probability: scores[classIndex]!,
    scores,
  }));
  return { outputs, predictions };
}

/** The tensor as one nested array per row (dims[0] is the batch). */
export function rowsOf(tensor: OutputTensor): NestedValues[] {
  const { data, dims } = tensor;
  const values = data as ArrayLike<number | bigint | string>;
  const read = (i: number): number | string => {
    const v = values[i]!;
    return typeof v === 'bigint' ? Number(v) : v;
  };
  if (dims.length === 0) return [read(0)];
  const inner = dims.slice(1);
  const per = inner.reduce((a, b) => a * b, 1);
  const build = (offset: number, level: number): NestedValues => {
    if (level === inner.length) return read(offset);
    const size = inner[level]!;
    const step = inner.slice(level + 1).reduce((a, b) => a * b, 1);
    return Array.from({ length: size }, (_, i) => build(offset + i * step, level + 1));
  };
  return Array.from({ length: dims[0]! }, (_, r) => build(r * per, 0));
}
