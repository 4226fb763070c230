import { EdgefleetError } from '@edgefleet/protocol';

/**
 * Error codes raised while loading evaluation and calibration data (`--data`, `--eval`), each
 * with what it means. Messages name the file and, where there is one, the line and column, so
 * a data scientist can open the file at the right place.
 */
export const DATA_ERROR_CODES = {
  EF_COMPILE_DATA_NOT_FOUND: 'The data file or image folder does not exist or cannot be read.',
  EF_COMPILE_DATA_FORMAT:
    'The data format is unknown: the path is not a .csv or .jsonl file or a folder of images.',
  EF_COMPILE_DATA_TOO_LARGE: 'The data file is larger than the configured size cap.',
  EF_COMPILE_DATA_EMPTY:
    'The data holds no samples: an empty file, a CSV with only a header, or folders without images.',
  EF_COMPILE_DATA_PARSE:
    'A CSV record or JSONL line cannot be parsed (unterminated quote, text after a closing quote, invalid JSON).',
  EF_COMPILE_DATA_COLUMNS:
    'The CSV columns do not match the model input or the preprocessing features (count, names, order or a row with a different number of cells).',
  EF_COMPILE_DATA_LABEL_MISSING:
    'The label column (or the "label" key of a JSONL sample) is missing.',
  EF_COMPILE_DATA_VALUE:
    'A value is not a finite number, or is missing (empty, NaN) where the preprocessing does not impute it.',
  EF_COMPILE_DATA_SHAPE:
    'A JSONL sample is not a rectangular numeric array of the same shape as the other samples and the model input.',
  EF_COMPILE_DATA_LABEL:
    'A label is not usable for the task: not an integer class index, negative or out of the class range for classification, or not a finite number for regression.',
  EF_COMPILE_DATA_CLASSES:
    'An image folder has no class subfolders, has images outside the class subfolders, or its class folders do not match the expected class names.',
  EF_COMPILE_DATA_IMAGE:
    'A file in a class folder is not a PNG, JPEG or WebP image (by extension or by its leading bytes).',
  EF_COMPILE_DATA_KIND_MISMATCH:
    'The data kind does not fit the preprocessing spec or the model input (for example a CSV for an image model).',
} as const satisfies Record<string, string>;

/** One of the {@link DATA_ERROR_CODES} keys. */
export type DataErrorCode = keyof typeof DATA_ERROR_CODES;

/**
 * A data set that cannot be used for calibration or evaluation. `details` carries `file` and,
 * where known, `line` (1-based) and `column` (1-based) plus `columnName`.
 *
 * @example
 * try {
 *   await loadDataset('eval.csv', { task: 'classification' });
 * } catch (err) {
 *   if (err instanceof DataError) console.error(`${err.code}: ${err.message}`);
 * }
 */
export class DataError extends EdgefleetError {
  declare readonly code: DataErrorCode;

  constructor(
    code: DataErrorCode,
    message: string,
    details?: Record<string, unknown>,
    options?: ErrorOptions,
  ) {
    super(code, message, details, options);
    this.name = 'DataError';
  }
}

/**
 * "file, line 12, column 4 (rpm)": the prefix every located data error starts with.
 *
 * @example
 * describeLocation({ file: 'eval.csv', line: 12, column: 4, columnName: 'rpm' });
 * // -> 'eval.csv, line 12, column 4 (rpm)'
 */
export function describeLocation(where: DataLocation): string {
  let text = where.file;
  if (where.line !== undefined) text += `, line ${where.line}`;
  if (where.column !== undefined) {
    text += `, column ${where.column}`;
    if (where.columnName !== undefined) text += ` (${where.columnName})`;
  }
  return text;
}

/** Where in a data file something is; lines and columns are 1-based. */
export interface DataLocation {
  file: string;
  line?: number;
  column?: number;
  columnName?: string;
}

/**
 * A DataError whose message starts with the location and whose details carry it.
 *
 * @example
 * throw dataErrorAt('EF_COMPILE_DATA_VALUE', { file, line: 3, column: 2 }, '"abc" is not a number');
 */
export function dataErrorAt(
  code: DataErrorCode,
  where: DataLocation,
  message: string,
  details: Record<string, unknown> = {},
  options?: ErrorOptions,
): DataError {
  return new DataError(
    code,
    `${describeLocation(where)}: ${message}`,
    { ...where, ...details },
    options,
  );
}
