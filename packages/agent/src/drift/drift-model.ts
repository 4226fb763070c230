/**
 * What the drift monitor needs to know about a model, and turning a batch of live inputs into
 * the rows its baseline was profiled on. The compiler profiles (packages/compiler/src/pipeline/
 * drift-baseline.ts): tabular models on the raw CSV values in feature order before impute, clip
 * and scale (NaN for a missing cell); tensor and image models on `driftFeatureRows` of the
 * preprocessed tensor. The device must count the same rows, or every window looks drifted.
 */
import type { Baseline, Manifest, Preprocess } from '@edgefleet/protocol';
import {
  driftFeatureNames,
  driftFeatureRows,
  type PreprocessedTensor,
  type TabularRow,
  type TabularValue,
} from '@edgefleet/runtime';
import { DriftMonitorError } from './drift-monitor-errors.js';

/** A model to watch: its identity, baseline and preprocessing (a manifest fits). */
export interface DriftModelSpec {
  name: string;
  version: string;
  baseline: Baseline;
  preprocess: Preprocess;
  /** Shape of the preprocessed input (batch first); needed for tensor models only. */
  inputShape?: ReadonlyArray<number | string | null>;
}

/**
 * Live inputs of one batch: tabular rows as received (arrays in feature order or records keyed
 * by feature name), or, for tensor and image models, the preprocessed tensor (or rows already
 * reduced with `driftFeatureRows`).
 */
export type DriftInput = readonly TabularRow[] | readonly ArrayLike<number>[] | PreprocessedTensor;

/**
 * The spec of a manifest, or the spec itself.
 *
 * @example
 * driftModelSpec(manifest).baseline.windowSize; // 500
 */
export function driftModelSpec(model: DriftModelSpec | Manifest): DriftModelSpec {
  if (!('schemaVersion' in model)) return model;
  const input = model.model.inputs.find((i) => i.name === model.preprocess.input);
  return {
    name: model.name,
    version: model.version,
    baseline: model.baseline,
    preprocess: model.preprocess,
    ...(input === undefined ? {} : { inputShape: input.shape }),
  };
}

/**
 * Checks that the baseline counts the features this preprocessing yields, in the same order.
 * Throws `EF_AGENT_DRIFT_BASELINE`.
 */
export function checkBaselineFeatures(spec: DriftModelSpec): void {
  let expected: string[];
  try {
    expected = driftFeatureNames(
      spec.preprocess,
      (spec.inputShape ?? []).map((d) => d ?? 'dynamic'),
    );
  } catch (err) {
    throw new DriftMonitorError(
      'EF_AGENT_DRIFT_BASELINE',
      `cannot tell the drift features of ${spec.name} ${spec.version}`,
      { model: spec.name, version: spec.version },
      { cause: err },
    );
  }
  const actual = spec.baseline.features.map((f) => f.name);
  if (expected.length !== actual.length || expected.some((n, i) => n !== actual[i])) {
    throw new DriftMonitorError(
      'EF_AGENT_DRIFT_BASELINE',
      `the baseline of ${spec.name} ${spec.version} counts [${actual.join(', ')}], its preprocessing yields [${expected.join(', ')}]`,
      { model: spec.name, version: spec.version, baseline: actual, preprocess: expected },
    );
  }
}

/**
 * The batch as drift rows (numbers in baseline order; NaN = missing). Throws
 * `EF_AGENT_DRIFT_INPUT` when a row does not fit.
 *
 * @example
 * driftRows(spec, [{ air_temp_k: 301.2, torque_nm: null, ... }]); // [[..., 301.2, ..., NaN, ...]]
 */
export function driftRows(spec: DriftModelSpec, input: DriftInput): ArrayLike<number>[] {
  const width = spec.baseline.features.length;
  if (!Array.isArray(input)) {
    if (spec.preprocess.kind === 'tabular') {
      throw inputError(spec, 'a tabular model counts raw rows, not a preprocessed tensor');
    }
    try {
      return driftFeatureRows(spec.preprocess, input as PreprocessedTensor);
    } catch (err) {
      throw inputError(spec, 'cannot reduce the tensor to drift features', err);
    }
  }
  const names = spec.baseline.features.map((f) => f.name);
  return (input as readonly (TabularRow | ArrayLike<number>)[]).map((row, r) => {
    if (row === null || typeof row !== 'object') throw inputError(spec, `row ${r} is not a row`);
    if (isArrayLike(row)) {
      if (row.length !== width) {
        throw inputError(
          spec,
          `row ${r} has ${row.length} values, the baseline has ${width} features`,
        );
      }
      const out = new Float64Array(width);
      for (let f = 0; f < width; f++) out[f] = toNumber(row[f]);
      return out;
    }
    if (spec.preprocess.kind !== 'tabular') {
      throw inputError(spec, `row ${r} is a record, but only tabular models take named features`);
    }
    const record = row as Readonly<Record<string, TabularValue>>;
    return Float64Array.from(names, (name) => toNumber(record[name]));
  });
}

function isArrayLike(row: object): row is ArrayLike<TabularValue> {
  return Array.isArray(row) || ArrayBuffer.isView(row);
}

const DECIMAL = /^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/;

/** A raw cell as a number: missing (null, undefined, '', not a decimal string) is NaN. */
function toNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && DECIMAL.test(value)) return Number(value);
  return Number.NaN;
}

function inputError(spec: DriftModelSpec, message: string, cause?: unknown): DriftMonitorError {
  return new DriftMonitorError(
    'EF_AGENT_DRIFT_INPUT',
    `${spec.name} ${spec.version}: ${message}`,
    { model: spec.name, version: spec.version },
    cause === undefined ? undefined : { cause },
  );
}

/**
 * Checks a batch's outputs against the baseline's output kind before anything is counted, so
 * a bad batch counts nothing: one class index below the class count (or NaN) per row for
 * `classes`, one number per row for `histogram`.
 */
export function checkOutputs(
  spec: DriftModelSpec,
  outputs: ArrayLike<number> | undefined,
  rows: number,
): void {
  if (outputs === undefined) return;
  if (outputs.length !== rows) throw inputError(spec, `${outputs.length} outputs for ${rows} rows`);
  const out = spec.baseline.output;
  for (let i = 0; i < outputs.length; i++) {
    const y = outputs[i];
    if (typeof y !== 'number') throw inputError(spec, `output ${i} is not a number`);
    if (
      out.kind === 'classes' &&
      !Number.isNaN(y) &&
      !(Number.isInteger(y) && y >= 0 && y < out.shares.length)
    ) {
      throw inputError(spec, `output ${i} (${y}) is not a class index below ${out.shares.length}`);
    }
  }
}
