/** What the data is used for: decides how labels are checked and which metrics apply. */
export type DataTask = 'classification' | 'regression';

/** How a data path is read. */
export type DatasetKind = 'tabular' | 'tensor' | 'images';

/** A CSV: one row of raw feature values per sample, in the model input's feature order. */
export interface TabularDataset {
  kind: 'tabular';
  /** The CSV header without the label column, in file order (= model input order). */
  featureNames: string[];
  /** Raw (unscaled) values; null is a missing value for the preprocessing to impute. */
  rows: (number | null)[][];
  /** One label per row: a class index or a regression target. */
  labels: number[];
  /** The file the rows came from. */
  source: string;
  /** The 1-based line each row starts on, so later errors can name it. */
  lines: number[];
}

/** A JSONL file: one nested numeric array per sample, shaped like the model input minus batch. */
export interface TensorDataset {
  kind: 'tensor';
  samples: unknown[][];
  labels: number[];
  /** The shape every sample has (checked while loading). */
  sampleShape: number[];
  source: string;
  lines: number[];
}

/** One image file and its class index. */
export interface ImageFile {
  path: string;
  label: number;
}

/** A folder with one subfolder per class; images are read lazily, batch by batch. */
export interface ImageDataset {
  kind: 'images';
  /** Class names: the subfolder names, sorted, or the names the caller gave. */
  classes: string[];
  files: ImageFile[];
  /** Class folder images in sorted order. */
  source: string;
}

/** A loaded data set; `kind` tells which. */
export type Dataset = TabularDataset | TensorDataset | ImageDataset;
