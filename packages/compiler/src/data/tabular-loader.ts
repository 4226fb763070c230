import { createReadStream } from 'node:fs';

import { readCell } from './csv-cells.js';
import { CsvParser, type CsvRecord } from './csv-parser.js';
import { DataError, dataErrorAt } from './data-errors.js';
import type { DataTask, TabularDataset } from './dataset-types.js';
import { checkLabel } from './label-check.js';

/**
 * An expected feature: its name, and whether the preprocessing imputes it (then empty and NaN
 * cells are allowed). A tabular preprocess spec's `features` array fits as it is.
 */
export type ExpectedFeature = string | { name: string; impute?: number };

export interface TabularLoadOptions {
  task: DataTask;
  labelColumn: string;
  features?: readonly ExpectedFeature[];
  classCount?: number;
  maxRows?: number;
}

/** Header facts every row is checked against. */
interface CsvLayout {
  header: string[];
  labelIndex: number;
  featureIndexes: number[];
  /** Per feature (in order): whether a missing value is allowed. */
  missingAllowed: boolean[];
}

/**
 * Reads a CSV of raw feature columns plus a label column, streaming it in chunks so the text
 * and the parsed rows are never both whole in memory, and stopping after `maxRows`.
 *
 * @throws DataError EF_COMPILE_DATA_EMPTY, EF_COMPILE_DATA_PARSE, EF_COMPILE_DATA_COLUMNS,
 *   EF_COMPILE_DATA_LABEL_MISSING, EF_COMPILE_DATA_VALUE, EF_COMPILE_DATA_LABEL.
 * @example
 * const data = await loadTabular('fixtures/data/pm/eval.csv', { task: 'classification',
 *   labelColumn: 'label', features: preprocess.features });
 * data.rows.length; // -> 3000
 */
export async function loadTabular(
  file: string,
  options: TabularLoadOptions,
): Promise<TabularDataset> {
  const parser = new CsvParser(file);
  const dataset: TabularDataset = {
    kind: 'tabular',
    featureNames: [],
    rows: [],
    labels: [],
    source: file,
    lines: [],
  };
  let layout: CsvLayout | undefined;
  const maxRows = options.maxRows ?? Infinity;
  const consume = (records: CsvRecord[]): boolean => {
    for (const record of records) {
      if (layout === undefined) {
        layout = readHeader(file, record, options);
        dataset.featureNames = layout.featureIndexes.map((i) => layout!.header[i]!);
        continue;
      }
      if (dataset.rows.length >= maxRows) return false;
      readRow(file, record, layout, options, dataset);
    }
    return dataset.rows.length < maxRows;
  };
  const stream = createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 });
  let more = true;
  try {
    for await (const chunk of stream) {
      more = consume(parser.push(chunk as string));
      if (!more) break;
    }
  } finally {
    stream.destroy();
  }
  if (more) consume(parser.end());
  if (layout === undefined) {
    throw new DataError('EF_COMPILE_DATA_EMPTY', `${file}: the CSV has no header and no rows`, {
      file,
    });
  }
  if (dataset.rows.length === 0) {
    throw dataErrorAt(
      'EF_COMPILE_DATA_EMPTY',
      { file, line: 1 },
      'the CSV has a header but no data rows',
    );
  }
  return dataset;
}

function readHeader(file: string, record: CsvRecord, options: TabularLoadOptions): CsvLayout {
  const header = record.fields.map((name) => name.trim());
  const at = { file, line: record.line };
  const seen = new Set<string>();
  header.forEach((name, i) => {
    if (name === '' || seen.has(name)) {
      throw dataErrorAt(
        'EF_COMPILE_DATA_COLUMNS',
        { ...at, column: i + 1 },
        name === '' ? 'a column has no name' : `column "${name}" appears twice`,
        { columns: header },
      );
    }
    seen.add(name);
  });
  const labelIndex = header.indexOf(options.labelColumn);
  if (labelIndex < 0) {
    throw dataErrorAt(
      'EF_COMPILE_DATA_LABEL_MISSING',
      at,
      `no label column "${options.labelColumn}" among the columns (${header.join(', ')}); name the label column with --label`,
      { labelColumn: options.labelColumn, columns: header },
    );
  }
  const featureIndexes = header.map((_, i) => i).filter((i) => i !== labelIndex);
  const names = featureIndexes.map((i) => header[i]!);
  let missingAllowed = names.map(() => true);
  if (options.features !== undefined) {
    const expected = options.features.map((f) => (typeof f === 'string' ? f : f.name));
    checkFeatureNames(at, names, expected);
    missingAllowed = options.features.map((f) => typeof f !== 'string' && f.impute !== undefined);
  }
  return { header, labelIndex, featureIndexes, missingAllowed };
}

/**
 * Feature columns must be exactly the expected names in the expected order. A different order is
 * rejected rather than silently re-sorted, as sklearn rejects it since 1.2: the file was then
 * written by a different pipeline than the one the preprocessing describes.
 */
function checkFeatureNames(
  at: { file: string; line: number },
  found: readonly string[],
  expected: readonly string[],
): void {
  if (found.length === expected.length && found.every((n, i) => n === expected[i])) return;
  const missing = expected.filter((n) => !found.includes(n));
  const unexpected = found.filter((n) => !expected.includes(n));
  const parts = [`expected ${expected.length} feature columns (${expected.join(', ')})`];
  parts.push(`found ${found.length} (${found.join(', ')})`);
  if (missing.length > 0) parts.push(`missing: ${missing.join(', ')}`);
  if (unexpected.length > 0) parts.push(`unexpected: ${unexpected.join(', ')}`);
  if (missing.length === 0 && unexpected.length === 0) {
    parts.push('the same names in a different order: write the columns in the model input order');
  }
  throw dataErrorAt(
    'EF_COMPILE_DATA_COLUMNS',
    at,
    `the feature columns do not match the preprocessing features: ${parts.join('; ')}`,
    { expected: [...expected], found: [...found], missing, unexpected },
  );
}

function readRow(
  file: string,
  record: CsvRecord,
  layout: CsvLayout,
  options: TabularLoadOptions,
  dataset: TabularDataset,
): void {
  const { header } = layout;
  if (record.fields.length !== header.length) {
    throw dataErrorAt(
      'EF_COMPILE_DATA_COLUMNS',
      { file, line: record.line },
      `the row has ${record.fields.length} cells, the header has ${header.length} columns`,
      { cells: record.fields.length, columns: header.length },
    );
  }
  const where = (i: number) => ({ file, line: record.line, column: i + 1, columnName: header[i] });
  const row = layout.featureIndexes.map((i, f): number | null => {
    const cell = readCell(record.fields[i]!);
    if (cell.kind === 'number') return cell.value;
    if (cell.kind === 'invalid') throw dataErrorAt('EF_COMPILE_DATA_VALUE', where(i), cell.reason);
    if (!layout.missingAllowed[f]) {
      throw dataErrorAt(
        'EF_COMPILE_DATA_VALUE',
        where(i),
        `the value ${JSON.stringify(record.fields[i])} is missing and the preprocessing has no impute value for "${header[i]}"`,
      );
    }
    return null;
  });
  const labelCell = readCell(record.fields[layout.labelIndex]!);
  if (labelCell.kind !== 'number') {
    const why = labelCell.kind === 'missing' ? 'the label is missing' : labelCell.reason;
    throw dataErrorAt('EF_COMPILE_DATA_VALUE', where(layout.labelIndex), why);
  }
  dataset.labels.push(
    checkLabel(labelCell.value, options.task, options.classCount, where(layout.labelIndex)),
  );
  dataset.rows.push(row);
  dataset.lines.push(record.line);
}
