import { stat } from 'node:fs/promises';
import path from 'node:path';

import { DataError } from './data-errors.js';
import type { DatasetKind } from './dataset-types.js';

/** Default cap on one data file: enough for millions of tabular rows, far from a runaway path. */
export const DEFAULT_MAX_DATA_BYTES = 512 * 1024 * 1024;

const EXTENSION_KINDS: Readonly<Record<string, DatasetKind>> = {
  '.csv': 'tabular',
  '.jsonl': 'tensor',
  '.ndjson': 'tensor',
};

/** The data path after it was checked to exist: its kind and, for files, its size in bytes. */
export interface DataSource {
  path: string;
  kind: DatasetKind;
  bytes: number;
}

/**
 * Checks that a data path exists and decides how to read it: a directory is an image folder,
 * `.csv` is tabular, `.jsonl`/`.ndjson` is one tensor sample a line. An explicit `kind`
 * overrides the extension (e.g. a `.txt` that holds CSV) but not file vs folder.
 *
 * @throws DataError EF_COMPILE_DATA_NOT_FOUND, EF_COMPILE_DATA_FORMAT,
 *   EF_COMPILE_DATA_TOO_LARGE, EF_COMPILE_DATA_EMPTY (a 0-byte file).
 * @example
 * await resolveDataSource('fixtures/data/pm/eval.csv'); // -> { kind: 'tabular', bytes: 97611, ... }
 */
export async function resolveDataSource(
  file: string,
  kind?: DatasetKind,
  maxBytes = DEFAULT_MAX_DATA_BYTES,
): Promise<DataSource> {
  let info;
  try {
    info = await stat(file);
  } catch (err) {
    const reason =
      (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : 'cannot be read';
    throw new DataError(
      'EF_COMPILE_DATA_NOT_FOUND',
      `${file}: the data path ${reason}`,
      { file },
      { cause: err },
    );
  }
  if (info.isDirectory()) {
    if (kind !== undefined && kind !== 'images') {
      throw new DataError(
        'EF_COMPILE_DATA_FORMAT',
        `${file}: is a folder, which can only be read as images (one subfolder per class), not as ${kind}`,
        { file, kind },
      );
    }
    return { path: file, kind: 'images', bytes: 0 };
  }
  const ext = path.extname(file).toLowerCase();
  const resolved = kind ?? EXTENSION_KINDS[ext];
  if (resolved === undefined || resolved === 'images') {
    throw new DataError(
      'EF_COMPILE_DATA_FORMAT',
      `${file}: unknown data format "${ext || '(no extension)'}": use a .csv file, a .jsonl file (one {"input", "label"} sample a line) or a folder of images with one subfolder per class`,
      { file, extension: ext },
    );
  }
  if (info.size > maxBytes) {
    throw new DataError(
      'EF_COMPILE_DATA_TOO_LARGE',
      `${file}: ${info.size} bytes is over the data size cap of ${maxBytes} bytes (evaluate on a sample, or raise the cap)`,
      { file, bytes: info.size, maxBytes },
    );
  }
  if (info.size === 0) {
    throw new DataError('EF_COMPILE_DATA_EMPTY', `${file}: the file is empty (0 bytes)`, { file });
  }
  return { path: file, kind: resolved, bytes: info.size };
}
