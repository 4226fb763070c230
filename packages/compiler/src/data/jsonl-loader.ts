import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

import { DataError, dataErrorAt, type DataLocation } from './data-errors.js';
import type { DataTask, TensorDataset } from './dataset-types.js';
import { checkLabel } from './label-check.js';

export interface TensorLoadOptions {
  task: DataTask;
  /** The key holding the label in each sample; default 'label'. */
  labelColumn: string;
  classCount?: number;
  maxRows?: number;
  /**
   * The model input's shape without its batch dim: numbers must match, strings (symbolic dims)
   * accept any size. Without it, samples are only checked against the first one.
   */
  sampleShape?: ReadonlyArray<number | string>;
}

/**
 * Reads a JSONL file, one sample a line: `{"input": <nested numeric array>, "label": <number>}`,
 * for a single-input model. Every sample must be a rectangular array of finite numbers of one
 * shape (and the model's, when given). Blank lines are skipped; lines are read one at a time.
 *
 * @throws DataError EF_COMPILE_DATA_EMPTY, EF_COMPILE_DATA_PARSE (invalid JSON, not an object),
 *   EF_COMPILE_DATA_SHAPE, EF_COMPILE_DATA_VALUE, EF_COMPILE_DATA_LABEL_MISSING,
 *   EF_COMPILE_DATA_LABEL; each names the line.
 * @example
 * const data = await loadJsonl('fixtures/data/vibration/eval.jsonl',
 *   { task: 'classification', labelColumn: 'label', sampleShape: [1, 512] });
 * data.sampleShape; // -> [1, 512]
 */
export async function loadJsonl(file: string, options: TensorLoadOptions): Promise<TensorDataset> {
  const dataset: TensorDataset = {
    kind: 'tensor',
    samples: [],
    labels: [],
    sampleShape: [],
    source: file,
    lines: [],
  };
  const maxRows = options.maxRows ?? Infinity;
  const stream = createReadStream(file, { encoding: 'utf8' });
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let lineNumber = 0;
  try {
    for await (const text of lines) {
      lineNumber++;
      if (dataset.samples.length >= maxRows) break;
      // A BOM on the first line would make JSON.parse fail on an otherwise valid file.
      const line = lineNumber === 1 ? text.replace(/^\ufeff/, '') : text;
      if (line.trim() === '') continue;
      readSample({ file, line: lineNumber }, line, options, dataset);
    }
  } finally {
    lines.close();
    stream.destroy();
  }
  if (dataset.samples.length === 0) {
    throw new DataError('EF_COMPILE_DATA_EMPTY', `${file}: the JSONL file has no samples`, {
      file,
    });
  }
  return dataset;
}

function readSample(
  at: DataLocation,
  line: string,
  options: TensorLoadOptions,
  dataset: TensorDataset,
): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw dataErrorAt('EF_COMPILE_DATA_PARSE', at, `invalid JSON: ${why}`, {}, { cause: err });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw dataErrorAt(
      'EF_COMPILE_DATA_PARSE',
      at,
      'expected a JSON object {"input": [...], "label": ...} on each line',
    );
  }
  const record = parsed as Record<string, unknown>;
  if (!Object.hasOwn(record, 'input')) {
    throw dataErrorAt('EF_COMPILE_DATA_SHAPE', at, 'the sample has no "input" key');
  }
  if (!Object.hasOwn(record, options.labelColumn)) {
    throw dataErrorAt(
      'EF_COMPILE_DATA_LABEL_MISSING',
      at,
      `the sample has no "${options.labelColumn}" key`,
      { labelColumn: options.labelColumn },
    );
  }
  const input = record.input;
  const shape = observedShape(input);
  if (dataset.samples.length === 0) {
    if (options.sampleShape !== undefined) checkAgainstModel(at, shape, options.sampleShape);
    dataset.sampleShape = shape;
  } else if (!sameShape(shape, dataset.sampleShape)) {
    throw dataErrorAt(
      'EF_COMPILE_DATA_SHAPE',
      at,
      `"input" has shape [${shape.join(', ')}], the first sample (line ${dataset.lines[0]}) has [${dataset.sampleShape.join(', ')}]`,
      { expected: dataset.sampleShape, received: shape },
    );
  }
  checkLeaves(at, input, dataset.sampleShape, []);
  const label = record[options.labelColumn];
  if (typeof label !== 'number') {
    throw dataErrorAt(
      'EF_COMPILE_DATA_LABEL',
      at,
      `"${options.labelColumn}" is ${JSON.stringify(label)}, expected a number`,
    );
  }
  dataset.labels.push(checkLabel(label, options.task, options.classCount, at));
  dataset.samples.push(input as unknown[]);
  dataset.lines.push(at.line!);
}

/** Shape read along the first elements; raggedness is found by {@link checkLeaves}. */
function observedShape(value: unknown): number[] {
  const shape: number[] = [];
  let v = value;
  while (Array.isArray(v)) {
    shape.push(v.length);
    if (v.length === 0) break;
    v = v[0];
  }
  return shape;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function checkAgainstModel(
  at: DataLocation,
  shape: readonly number[],
  model: ReadonlyArray<number | string>,
): void {
  const fits =
    shape.length === model.length &&
    model.every((d, i) => (typeof d === 'number' ? d === shape[i] : shape[i]! > 0));
  if (!fits) {
    throw dataErrorAt(
      'EF_COMPILE_DATA_SHAPE',
      at,
      `"input" has shape [${shape.join(', ')}], the model input takes [${model.join(', ')}] per sample`,
      { expected: [...model], received: [...shape] },
    );
  }
}

function checkLeaves(
  at: DataLocation,
  value: unknown,
  shape: readonly number[],
  path: number[],
): void {
  const where = `input${path.map((i) => `[${i}]`).join('')}`;
  const depth = path.length;
  if (depth === shape.length) {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      const what = Array.isArray(value) ? 'an array' : JSON.stringify(value);
      throw dataErrorAt(
        Array.isArray(value) ? 'EF_COMPILE_DATA_SHAPE' : 'EF_COMPILE_DATA_VALUE',
        at,
        `${where} is ${what}, expected a finite number`,
        { path: [...path] },
      );
    }
    return;
  }
  if (!Array.isArray(value) || value.length !== shape[depth]) {
    const what = Array.isArray(value)
      ? `an array of length ${value.length}`
      : JSON.stringify(value);
    throw dataErrorAt(
      'EF_COMPILE_DATA_SHAPE',
      at,
      `${where} is ${what}, expected an array of length ${shape[depth]} (ragged sample; shape [${shape.join(', ')}])`,
      { path: [...path], expected: [...shape] },
    );
  }
  for (let i = 0; i < value.length; i++) {
    path.push(i);
    checkLeaves(at, value[i], shape, path);
    path.pop();
  }
}
