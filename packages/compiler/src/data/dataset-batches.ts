import { readFile } from 'node:fs/promises';

import {
  PreprocessError,
  preprocessImages,
  preprocessTabular,
  preprocessTensors,
  sniffImageFormat,
  type ImagePreprocessOptions,
  type ImagePreprocessSpec,
  type ModelInputShape,
  type PreprocessedTensor,
  type PreprocessSpec,
  type TabularPreprocessSpec,
  type TensorPreprocessSpec,
} from '@edgefleet/runtime';

import { DataError, dataErrorAt } from './data-errors.js';
import type { Dataset, ImageDataset, TabularDataset, TensorDataset } from './dataset-types.js';
import { datasetSize } from './load-dataset.js';
import { checkBatchSpec } from './batch-spec-check.js';

/** One preprocessed batch, ready for `ModelSession.run(batch.feeds)`. */
export interface DatasetBatch {
  /** Index of the batch's first sample in the data set. */
  offset: number;
  /** The model input tensor (float32, batch dim first). */
  tensor: PreprocessedTensor;
  /** The same tensor keyed by the preprocess spec's input name. */
  feeds: Record<string, PreprocessedTensor>;
  /** One label per sample of the batch. */
  labels: number[];
}

export interface DatasetBatchOptions {
  /** The preprocessing the bundle ships: the same definition the device runs. */
  preprocess: PreprocessSpec;
  /** The model input's shape, batch dim first (`ModelSession.inputs[i].shape`). */
  inputShape: ModelInputShape;
  /** Samples per batch; default 64. A fixed batch dim in `inputShape` overrides it. */
  batchSize?: number;
  /** Passed to the runtime's image preprocessing (pixel cap). */
  imageOptions?: ImagePreprocessOptions;
  /** Largest image file read; default 64 MiB. */
  maxImageBytes?: number;
}

const DEFAULT_BATCH_SIZE = 64;
const DEFAULT_MAX_IMAGE_BYTES = 64 * 1024 * 1024;

/**
 * Preprocesses a data set batch by batch with the runtime's preprocessing (`preprocessTabular`,
 * `preprocessTensors`, `preprocessImages`): the compiler evaluates exactly the tensors the device
 * will compute, and scaling is never redefined here. Images are read from disk one batch at a
 * time. Runtime preprocessing errors are re-raised as DataErrors naming the file and line (or the
 * image file), with the runtime error as `cause`.
 *
 * @throws DataError EF_COMPILE_DATA_KIND_MISMATCH, EF_COMPILE_DATA_COLUMNS,
 *   EF_COMPILE_DATA_SHAPE, EF_COMPILE_DATA_VALUE, EF_COMPILE_DATA_IMAGE.
 * @example
 * for await (const batch of datasetBatches(data, { preprocess: spec,
 *     inputShape: session.inputs[0].shape, batchSize: 256 })) {
 *   const outputs = await session.run(batch.feeds);
 * }
 */
export async function* datasetBatches(
  dataset: Dataset,
  options: DatasetBatchOptions,
): AsyncGenerator<DatasetBatch> {
  const batchSize = effectiveBatchSize(dataset, options);
  const spec = options.preprocess;
  checkBatchSpec(dataset, spec, options.inputShape);
  const total = datasetSize(dataset);
  for (let offset = 0; offset < total; offset += batchSize) {
    const end = Math.min(offset + batchSize, total);
    let tensor: PreprocessedTensor;
    if (dataset.kind === 'tabular') {
      tensor = tabularBatch(dataset, spec as TabularPreprocessSpec, offset, end);
    } else if (dataset.kind === 'tensor') {
      tensor = tensorBatch(dataset, spec as TensorPreprocessSpec, options.inputShape, offset, end);
    } else {
      tensor = await imageBatch(dataset, spec as ImagePreprocessSpec, options, offset, end);
    }
    yield {
      offset,
      tensor,
      feeds: { [spec.input]: tensor },
      labels: labelsOf(dataset, offset, end),
    };
  }
}

function effectiveBatchSize(dataset: Dataset, options: DatasetBatchOptions): number {
  const requested = options.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isSafeInteger(requested) || requested <= 0) {
    throw new RangeError(`batchSize must be a positive integer, got ${requested}`);
  }
  const fixed = options.inputShape[0];
  if (typeof fixed !== 'number') return requested;
  // Models exported with a fixed batch dim (often 1) take exactly that many samples a run.
  const total = datasetSize(dataset);
  if (total % fixed !== 0) {
    throw new DataError(
      'EF_COMPILE_DATA_SHAPE',
      `${dataset.source}: the model takes exactly ${fixed} samples per run and the data has ${total}, not a multiple of ${fixed}`,
      { file: dataset.source, batch: fixed, samples: total },
    );
  }
  return fixed;
}

function labelsOf(dataset: Dataset, start: number, end: number): number[] {
  if (dataset.kind === 'images') return dataset.files.slice(start, end).map((f) => f.label);
  return dataset.labels.slice(start, end);
}

function tabularBatch(
  dataset: TabularDataset,
  spec: TabularPreprocessSpec,
  start: number,
  end: number,
): PreprocessedTensor {
  const rows = dataset.rows.slice(start, end);
  // Checked here (not only by the runtime) so the message names the file, line and column.
  rows.forEach((row, r) => {
    row.forEach((value, f) => {
      const feature = spec.features[f]!;
      if (value === null && feature.impute === undefined) {
        throw dataErrorAt(
          'EF_COMPILE_DATA_VALUE',
          {
            file: dataset.source,
            line: dataset.lines[start + r],
            column: f + 1,
            columnName: feature.name,
          },
          `the value is missing and the preprocessing has no impute value for "${feature.name}"`,
        );
      }
    });
  });
  try {
    return preprocessTabular(spec, rows);
  } catch (err) {
    throw relocate(err, 'row', (i) => ({ file: dataset.source, line: dataset.lines[start + i] }));
  }
}

function tensorBatch(
  dataset: TensorDataset,
  spec: TensorPreprocessSpec,
  inputShape: ModelInputShape,
  start: number,
  end: number,
): PreprocessedTensor {
  try {
    return preprocessTensors(spec, inputShape, dataset.samples.slice(start, end));
  } catch (err) {
    throw relocate(err, 'sample', (i) => ({
      file: dataset.source,
      line: dataset.lines[start + i],
    }));
  }
}

async function imageBatch(
  dataset: ImageDataset,
  spec: ImagePreprocessSpec,
  options: DatasetBatchOptions,
  start: number,
  end: number,
): Promise<PreprocessedTensor> {
  const files = dataset.files.slice(start, end);
  const maxBytes = options.maxImageBytes ?? DEFAULT_MAX_IMAGE_BYTES;
  const buffers = await Promise.all(files.map((f) => readImage(f.path, maxBytes)));
  try {
    return await preprocessImages(spec, buffers, options.imageOptions);
  } catch (err) {
    throw relocate(
      err,
      'image',
      (i) => ({ file: files[i]?.path ?? dataset.source }),
      'EF_COMPILE_DATA_IMAGE',
    );
  }
}

async function readImage(file: string, maxBytes: number): Promise<Uint8Array> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw new DataError(
      'EF_COMPILE_DATA_NOT_FOUND',
      `${file}: cannot read the image`,
      { file },
      { cause: err },
    );
  }
  if (bytes.length > maxBytes) {
    throw new DataError(
      'EF_COMPILE_DATA_TOO_LARGE',
      `${file}: ${bytes.length} bytes is over the image size cap of ${maxBytes} bytes`,
      { file, bytes: bytes.length, maxBytes },
    );
  }
  if (sniffImageFormat(bytes) === undefined) {
    throw new DataError(
      'EF_COMPILE_DATA_IMAGE',
      `${file}: not a PNG, JPEG or WebP image (its leading bytes say otherwise, whatever the extension)`,
      { file },
    );
  }
  return bytes;
}

/**
 * A runtime PreprocessError about sample i of a batch, re-raised at the sample's file and line.
 * The runtime names samples by batch index, which means nothing to someone with the file open.
 */
function relocate(
  err: unknown,
  indexKey: 'row' | 'sample' | 'image',
  locate: (i: number) => { file: string; line?: number | undefined },
  code: 'EF_COMPILE_DATA_VALUE' | 'EF_COMPILE_DATA_IMAGE' = 'EF_COMPILE_DATA_VALUE',
): unknown {
  if (!(err instanceof PreprocessError)) return err;
  const index = err.details?.[indexKey];
  if (typeof index !== 'number') return err;
  const where = locate(index);
  const dataCode = err.code === 'EF_RUNTIME_INPUT_SHAPE' ? 'EF_COMPILE_DATA_SHAPE' : code;
  return dataErrorAt(
    dataCode,
    { file: where.file, line: where.line },
    err.message,
    { runtimeCode: err.code },
    {
      cause: err,
    },
  );
}
