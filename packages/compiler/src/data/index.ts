export { DATA_ERROR_CODES, DataError, describeLocation } from './data-errors.js';
export type { DataErrorCode, DataLocation } from './data-errors.js';
export type {
  DataTask,
  Dataset,
  DatasetKind,
  ImageDataset,
  ImageFile,
  TabularDataset,
  TensorDataset,
} from './dataset-types.js';
export { DEFAULT_MAX_DATA_BYTES } from './data-source.js';
export { CsvParser, parseCsv } from './csv-parser.js';
export type { CsvRecord } from './csv-parser.js';
export { IMAGE_EXTENSIONS } from './image-folder-loader.js';
export { loadDataset, datasetSize } from './load-dataset.js';
export type { LoadDatasetOptions } from './load-dataset.js';
export type { ExpectedFeature } from './tabular-loader.js';
export { datasetBatches } from './dataset-batches.js';
export type { DatasetBatch, DatasetBatchOptions } from './dataset-batches.js';
