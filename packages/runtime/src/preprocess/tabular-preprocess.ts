import { describeValue as describe } from './describe-value.js';
import { PreprocessError } from './preprocess-errors.js';
import type {
  PreprocessedTensor,
  TabularFeatureSpec,
  TabularPreprocessSpec,
} from './preprocess-spec.js';

/** One raw cell. Strings must be decimal numbers; null/undefined/''/NaN mean "missing". */
export type TabularValue = number | string | null | undefined;

/** A row in feature order, or a record keyed by feature name (extra keys are ignored). */
export type TabularRow = ReadonlyArray<TabularValue> | Readonly<Record<string, TabularValue>>;

// Plain decimal or scientific notation only: 'NaN', 'Infinity', hex and '' are not numbers here,
// so a CSV-ish caller cannot smuggle non-finite values past the NaN check.
const DECIMAL_NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Turns tabular rows into the model's float32 [N, F] input: impute -> clip -> (x - mean) / std.
 *
 * Arithmetic is done in float64 and rounded to float32 once at the end, as numpy/sklearn
 * pipelines do before feeding onnxruntime. A std of 0 is treated as 1: a feature that was
 * constant in the training data has std 0, dividing by it would give Inf/NaN, and sklearn's
 * StandardScaler makes the same substitution, so values equal to the mean map to 0.
 *
 * @throws PreprocessError EF_RUNTIME_INPUT_SHAPE (empty batch, wrong row length),
 *   EF_RUNTIME_INPUT_TYPE, EF_RUNTIME_INPUT_NAN, EF_RUNTIME_FEATURE_MISSING,
 *   EF_RUNTIME_PREPROCESS_SPEC.
 * @example
 * const spec = { kind: 'tabular', input: 'x', features: [
 *   { name: 'temp', impute: 20, clip: [-40, 120], mean: 20, std: 5 },
 *   { name: 'rpm', mean: 1000, std: 0 },
 * ] } as const satisfies TabularPreprocessSpec;
 * preprocessTabular(spec, [[25, 1000], { rpm: 1200, temp: null }]);
 * // -> { data: Float32Array [1, 0, 0, 200], dims: [2, 2] }
 */
export function preprocessTabular(
  spec: TabularPreprocessSpec,
  rows: readonly TabularRow[],
): PreprocessedTensor {
  assertTabularSpec(spec);
  if (!Array.isArray(rows)) {
    throw new PreprocessError('EF_RUNTIME_INPUT_TYPE', 'tabular input must be an array of rows', {
      input: spec.input,
    });
  }
  if (rows.length === 0) {
    throw new PreprocessError('EF_RUNTIME_INPUT_SHAPE', 'tabular input needs at least one row', {
      input: spec.input,
    });
  }
  const features = spec.features;
  const width = features.length;
  const data = new Float32Array(rows.length * width);
  rows.forEach((row, rowIndex) => {
    const cells = cellsInFeatureOrder(spec, row, rowIndex);
    for (let f = 0; f < width; f++) {
      data[rowIndex * width + f] = scaleValue(features[f]!, cells[f], rowIndex);
    }
  });
  return { data, dims: [rows.length, width] };
}

function cellsInFeatureOrder(
  spec: TabularPreprocessSpec,
  row: unknown,
  rowIndex: number,
): readonly unknown[] {
  const features = spec.features;
  if (Array.isArray(row)) {
    if (row.length !== features.length) {
      throw new PreprocessError(
        'EF_RUNTIME_INPUT_SHAPE',
        `row ${rowIndex} has ${row.length} values, expected ${features.length} (${features
          .map((f) => f.name)
          .join(', ')})`,
        { input: spec.input, row: rowIndex, expected: features.length, received: row.length },
      );
    }
    return row;
  }
  if (row === null || typeof row !== 'object' || ArrayBuffer.isView(row)) {
    throw new PreprocessError(
      'EF_RUNTIME_INPUT_TYPE',
      `row ${rowIndex} is ${describe(row)}, expected an array of numbers or a record by feature name`,
      { input: spec.input, row: rowIndex },
    );
  }
  const record = row as Record<string, unknown>;
  return features.map((feature) => {
    if (!Object.hasOwn(record, feature.name) && feature.impute === undefined) {
      throw new PreprocessError(
        'EF_RUNTIME_FEATURE_MISSING',
        `row ${rowIndex} has no feature "${feature.name}" and the feature has no impute value`,
        { input: spec.input, row: rowIndex, feature: feature.name },
      );
    }
    return record[feature.name];
  });
}

function scaleValue(feature: TabularFeatureSpec, cell: unknown, rowIndex: number): number {
  let x = toNumberOrMissing(feature, cell, rowIndex);
  if (x === undefined) {
    if (feature.impute === undefined) {
      throw new PreprocessError(
        'EF_RUNTIME_INPUT_NAN',
        `row ${rowIndex}, feature "${feature.name}": value is ${describe(cell)} and the feature has no impute value`,
        { row: rowIndex, feature: feature.name },
      );
    }
    x = feature.impute;
  }
  if (feature.clip !== undefined) {
    x = Math.min(Math.max(x, feature.clip[0]), feature.clip[1]);
  }
  const std = feature.std === 0 ? 1 : feature.std;
  const scaled = Math.fround((x - feature.mean) / std);
  // A finite value can still overflow float32 (1e39, or a tiny std): refuse it rather than
  // feed the model an infinity.
  if (!Number.isFinite(scaled)) {
    throw new PreprocessError(
      'EF_RUNTIME_INPUT_NAN',
      `row ${rowIndex}, feature "${feature.name}": value ${describe(cell)} is out of float32 range after scaling`,
      { row: rowIndex, feature: feature.name },
    );
  }
  return scaled;
}

/** The cell as a finite number, or undefined when it counts as missing. */
function toNumberOrMissing(
  feature: TabularFeatureSpec,
  cell: unknown,
  rowIndex: number,
): number | undefined {
  if (cell === null || cell === undefined || cell === '') return undefined;
  let x: number;
  if (typeof cell === 'number') {
    x = cell;
  } else if (typeof cell === 'string' && DECIMAL_NUMBER.test(cell.trim())) {
    x = Number(cell.trim());
  } else {
    throw new PreprocessError(
      'EF_RUNTIME_INPUT_TYPE',
      `row ${rowIndex}, feature "${feature.name}": ${describe(cell)} is not a number`,
      { row: rowIndex, feature: feature.name },
    );
  }
  if (Number.isNaN(x)) return undefined;
  if (!Number.isFinite(x)) {
    // Infinity is not "missing": imputing it would hide an upstream bug (sklearn rejects it too).
    throw new PreprocessError(
      'EF_RUNTIME_INPUT_NAN',
      `row ${rowIndex}, feature "${feature.name}": value ${x} is not finite`,
      { row: rowIndex, feature: feature.name },
    );
  }
  return x;
}

function assertTabularSpec(spec: TabularPreprocessSpec): void {
  const bad = (why: string): never => {
    throw new PreprocessError(
      'EF_RUNTIME_PREPROCESS_SPEC',
      `tabular spec for "${spec.input}": ${why}`,
      {
        input: spec.input,
      },
    );
  };
  if (spec.features.length === 0) bad('no features');
  const seen = new Set<string>();
  for (const f of spec.features) {
    if (seen.has(f.name)) bad(`feature "${f.name}" appears twice`);
    seen.add(f.name);
    if (!Number.isFinite(f.mean) || !Number.isFinite(f.std) || f.std < 0) {
      bad(`feature "${f.name}" needs a finite mean and a finite std >= 0`);
    }
    if (f.impute !== undefined && !Number.isFinite(f.impute)) {
      bad(`feature "${f.name}" has a non-finite impute value`);
    }
    if (f.clip !== undefined && !(f.clip[0] <= f.clip[1])) {
      bad(`feature "${f.name}" has clip bounds out of order`);
    }
  }
}
