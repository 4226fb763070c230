import {
  postprocess,
  type FeedTensor,
  type ModelSession,
  type OutputTensor,
} from '@edgefleet/runtime';

import { DataError } from '../data/data-errors.js';
import type { DataTask } from '../data/dataset-types.js';
import { ConfusionMatrix, type ClassificationMetrics } from './classification-metrics.js';
import { OutputDifference, topOneAgreement } from './output-difference.js';
import { RegressionAccumulator, type RegressionMetrics } from './regression-metrics.js';
import { ValidateError } from './validate-errors.js';

/** What compareModels needs of a batch: `DatasetBatch` from `datasetBatches` fits. */
export interface ComparisonBatch {
  feeds: Readonly<Record<string, FeedTensor>>;
  labels: readonly number[];
}

export interface CompareModelsOptions {
  fp32: ModelSession;
  candidate: ModelSession;
  /** The same preprocessed batches feed both models, e.g. `datasetBatches(data, ...)`. */
  batches: AsyncIterable<ComparisonBatch> | Iterable<ComparisonBatch>;
  task: DataTask;
  /** The output to score and compare; default the fp32 model's first tensor output. */
  outputName?: string;
  /** For a single-score binary classifier: the score is a probability, not a logit. */
  outputIsProbabilities?: boolean;
  /** Number of samples, passed on to `onProgress` (e.g. `datasetSize(dataset)`). */
  total?: number;
  /** Called after each batch, e.g. to draw a terminal progress bar. */
  onProgress?: (done: number, total: number | undefined) => void;
}

interface ComparisonCommon {
  /** Samples evaluated. */
  samples: number;
  outputName: string;
  /** Largest |fp32 - candidate| over every value of the compared output. */
  maxAbsDiff: number;
  meanAbsDiff: number;
}

export type ModelComparison =
  | (ComparisonCommon & {
      task: 'classification';
      fp32: ClassificationMetrics;
      candidate: ClassificationMetrics;
      /** Fraction of samples where both models predict the same class. */
      agreement: number;
    })
  | (ComparisonCommon & {
      task: 'regression';
      fp32: RegressionMetrics;
      candidate: RegressionMetrics;
      /** Top-1 agreement has no meaning for regression. */
      agreement: null;
    });

/**
 * Runs the fp32 model and a candidate (quantized, fp16, simplified) on the same preprocessed
 * batches in onnxruntime and scores both against the labels: classification accuracy, macro F1,
 * per-class metrics, confusion and top-1 agreement; regression MSE, MAE and R²; and for both the
 * max and mean absolute difference of the raw outputs. Classes come from the runtime's
 * `postprocess` (argmax, ties to the lower index), the same reading the device applies.
 * Batches run one model after the other: running both at once would only contend for cores.
 *
 * @throws ValidateError EF_COMPILE_VALIDATE_OUTPUT (missing or mismatched outputs),
 *   EF_COMPILE_VALIDATE_EMPTY; DataError EF_COMPILE_DATA_LABEL (label beyond the model's
 *   classes); SessionError from onnxruntime.
 * @example
 * const result = await compareModels({ fp32, candidate, task: 'classification',
 *   batches: datasetBatches(data, { preprocess, inputShape: fp32.inputs[0].shape }),
 *   total: datasetSize(data), onProgress: (done, total) => bar.update(done, total) });
 * result.agreement; // -> 0.998
 */
export async function compareModels(options: CompareModelsOptions): Promise<ModelComparison> {
  const outputName = options.outputName ?? firstTensorOutput(options.fp32);
  const scorer = new ComparisonScorer(options.task, options.outputIsProbabilities === true);
  const diff = new OutputDifference();
  let done = 0;
  for await (const batch of options.batches) {
    const expected = await options.fp32.run(batch.feeds);
    const actual = await options.candidate.run(batch.feeds);
    const a = pickOutput(expected, outputName, 'fp32');
    const b = pickOutput(actual, outputName, 'candidate');
    checkSameShape(a, b, outputName, batch.labels.length);
    diff.add(numeric(a, outputName), numeric(b, outputName));
    scorer.add(a, b, batch.labels, done);
    done += batch.labels.length;
    options.onProgress?.(done, options.total);
  }
  if (done === 0) {
    throw new ValidateError('EF_COMPILE_VALIDATE_EMPTY', 'the evaluation data gave no batches');
  }
  const common = { samples: done, outputName, maxAbsDiff: diff.max, meanAbsDiff: diff.mean };
  return { ...common, ...scorer.result() } as ModelComparison;
}

/** Per-task scoring of both models, sample by sample. */
class ComparisonScorer {
  readonly #task: DataTask;
  readonly #probabilities: boolean;
  #fp32?: ConfusionMatrix;
  #candidate?: ConfusionMatrix;
  readonly #fp32Classes: number[] = [];
  readonly #candidateClasses: number[] = [];
  readonly #fp32Regression = new RegressionAccumulator();
  readonly #candidateRegression = new RegressionAccumulator();

  constructor(task: DataTask, probabilities: boolean) {
    this.#task = task;
    this.#probabilities = probabilities;
  }

  add(a: OutputTensor, b: OutputTensor, labels: readonly number[], offset: number): void {
    if (this.#task === 'regression') {
      const fp32 = regressionValues(a);
      const candidate = regressionValues(b);
      labels.forEach((label, i) => {
        this.#fp32Regression.add(label, fp32[i]!);
        this.#candidateRegression.add(label, candidate[i]!);
      });
      return;
    }
    const spec = { task: 'classification', outputIsProbabilities: this.#probabilities } as const;
    const fp32 = postprocess(a, spec).map((r) => r.classIndex);
    const candidate = postprocess(b, spec).map((r) => r.classIndex);
    const width = a.dims.slice(1).reduce((x, y) => x * y, 1);
    const classCount = width === 1 ? 2 : width;
    this.#fp32 ??= new ConfusionMatrix(classCount);
    this.#candidate ??= new ConfusionMatrix(classCount);
    labels.forEach((label, i) => {
      if (!Number.isInteger(label) || label < 0 || label >= classCount) {
        throw new DataError(
          'EF_COMPILE_DATA_LABEL',
          `sample ${offset + i}: label ${label} is not a class of the model, which has ${classCount} classes (0 to ${classCount - 1})`,
          { sample: offset + i, label, classCount },
        );
      }
      this.#fp32!.add(label, fp32[i]!);
      this.#candidate!.add(label, candidate[i]!);
    });
    this.#fp32Classes.push(...fp32);
    this.#candidateClasses.push(...candidate);
  }

  result():
    | {
        task: 'classification';
        fp32: ClassificationMetrics;
        candidate: ClassificationMetrics;
        agreement: number;
      }
    | {
        task: 'regression';
        fp32: RegressionMetrics;
        candidate: RegressionMetrics;
        agreement: null;
      } {
    if (this.#task === 'regression') {
      return {
        task: 'regression',
        fp32: this.#fp32Regression.metrics(),
        candidate: this.#candidateRegression.metrics(),
        agreement: null,
      };
    }
    return {
      task: 'classification',
      fp32: this.#fp32!.metrics(),
      candidate: this.#candidate!.metrics(),
      agreement: topOneAgreement(this.#fp32Classes, this.#candidateClasses),
    };
  }
}

function firstTensorOutput(session: ModelSession): string {
  const output = session.outputs.find((o) => o.type !== 'non-tensor');
  if (output === undefined) {
    throw new ValidateError('EF_COMPILE_VALIDATE_OUTPUT', 'the fp32 model has no tensor output');
  }
  return output.name;
}

function pickOutput(
  outputs: Record<string, OutputTensor>,
  name: string,
  model: 'fp32' | 'candidate',
): OutputTensor {
  const output = outputs[name];
  if (output === undefined) {
    throw new ValidateError(
      'EF_COMPILE_VALIDATE_OUTPUT',
      `the ${model} model has no output "${name}" (it has ${Object.keys(outputs).join(', ') || 'none'})`,
      { model, output: name },
    );
  }
  return output;
}

function checkSameShape(a: OutputTensor, b: OutputTensor, name: string, samples: number): void {
  const same = a.dims.length === b.dims.length && a.dims.every((d, i) => d === b.dims[i]);
  if (!same || a.dims[0] !== samples) {
    throw new ValidateError(
      'EF_COMPILE_VALIDATE_OUTPUT',
      `output "${name}": fp32 gave [${a.dims.join(', ')}], the candidate [${b.dims.join(', ')}], for a batch of ${samples}`,
      { output: name, fp32: a.dims, candidate: b.dims, samples },
    );
  }
}

function numeric(output: OutputTensor, name: string): ArrayLike<number> | ArrayLike<bigint> {
  // float16 travels as raw uint16 bits: comparing those would compare bit patterns, not values.
  if (Array.isArray(output.data) || output.type === 'float16' || output.type === 'bool') {
    throw new ValidateError(
      'EF_COMPILE_VALIDATE_OUTPUT',
      `output "${name}" is ${output.type}, not a comparable numeric tensor (compare a float32 output)`,
      { output: name, type: output.type },
    );
  }
  return output.data as ArrayLike<number> | ArrayLike<bigint>;
}

function regressionValues(output: OutputTensor): number[] {
  const rows = postprocess(output, { task: 'regression' });
  if (rows.some((r) => r.values.length !== 1)) {
    throw new ValidateError(
      'EF_COMPILE_VALIDATE_OUTPUT',
      `a regression output needs one value per sample to score against one label, it has shape [${output.dims.join(', ')}]`,
      { dims: output.dims },
    );
  }
  return rows.map((r) => r.values[0]!);
}
