import { DEFAULT_MAX_DATA_BYTES, resolveDataSource } from './data-source.js';
import type { DataTask, Dataset, DatasetKind } from './dataset-types.js';
import { loadImageFolder } from './image-folder-loader.js';
import { loadJsonl } from './jsonl-loader.js';
import { loadTabular, type ExpectedFeature } from './tabular-loader.js';

export interface LoadDatasetOptions {
  /** How to read the path; default: a folder is 'images', .csv 'tabular', .jsonl 'tensor'. */
  kind?: DatasetKind;
  task: DataTask;
  /** The CSV label column, or the JSONL label key; default 'label'. */
  labelColumn?: string;
  /**
   * Expected CSV feature columns in model input order, e.g. a tabular preprocess spec's
   * `features`. Entries with an `impute` value may have empty/NaN cells; plain names may not.
   * Without it, any columns are accepted and missing values are checked when batching.
   */
  features?: readonly ExpectedFeature[];
  /** The model's number of classes: classification labels must be below it. */
  classCount?: number;
  /** Class names in model output order, mapping image class folders to indices. */
  classNames?: readonly string[];
  /** The model input shape without the batch dim, checked against JSONL samples. */
  sampleShape?: ReadonlyArray<number | string>;
  /** Read at most this many samples (the first rows/lines; images round-robin over classes). */
  maxRows?: number;
  /** Size cap of a CSV/JSONL file; default 512 MiB. */
  maxBytes?: number;
}

/**
 * Loads evaluation or calibration data: a CSV (feature columns + label column), a JSONL file
 * (`{"input": [...], "label": n}` a line) or a folder with one subfolder of images per class.
 * Values stay raw here; scaling happens in the runtime's preprocessing (see `datasetBatches`).
 *
 * @throws DataError with an EF_COMPILE_DATA_* code naming file, line and column.
 * @example
 * const spec = JSON.parse(await readFile('fixtures/data/pm/preprocess.json', 'utf8'));
 * const data = await loadDataset('fixtures/data/pm/eval.csv', {
 *   task: 'classification', features: spec.features, classCount: 5 });
 * if (data.kind === 'tabular') data.rows.length; // -> 3000
 */
export async function loadDataset(file: string, options: LoadDatasetOptions): Promise<Dataset> {
  checkOptions(options);
  const source = await resolveDataSource(
    file,
    options.kind,
    options.maxBytes ?? DEFAULT_MAX_DATA_BYTES,
  );
  const labelColumn = options.labelColumn ?? 'label';
  switch (source.kind) {
    case 'tabular':
      return loadTabular(file, { ...options, labelColumn });
    case 'tensor':
      return loadJsonl(file, { ...options, labelColumn });
    case 'images':
      return loadImageFolder(file, options);
  }
}

/**
 * The number of samples in a data set: the `total` of a progress bar.
 *
 * @example
 * datasetSize(await loadDataset('eval.jsonl', { task: 'classification' })); // -> 320
 */
export function datasetSize(dataset: Dataset): number {
  switch (dataset.kind) {
    case 'tabular':
      return dataset.rows.length;
    case 'tensor':
      return dataset.samples.length;
    case 'images':
      return dataset.files.length;
  }
}

function checkOptions(options: LoadDatasetOptions): void {
  if (options.task !== 'classification' && options.task !== 'regression') {
    throw new RangeError(
      `task must be 'classification' or 'regression', got ${String(options.task)}`,
    );
  }
  const positive = (name: string, v: number | undefined) => {
    if (v !== undefined && !(Number.isSafeInteger(v) && v > 0)) {
      throw new RangeError(`${name} must be a positive integer, got ${v}`);
    }
  };
  positive('maxRows', options.maxRows);
  positive('maxBytes', options.maxBytes);
  positive('classCount', options.classCount);
}
