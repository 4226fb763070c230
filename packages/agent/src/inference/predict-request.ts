/**
 * A prediction request, checked and preprocessed exactly as the bundle's manifest says (through
 * the runtime's own preprocessing, the code the compiler validated with).
 */
import type { Manifest } from '@edgefleet/protocol';
import { preprocessBatch, type PreprocessedTensor } from '@edgefleet/runtime';

import { InferenceError } from './inference-errors.js';

/**
 * The accepted request forms:
 * - `{ inputs: [[...], ...] }`: rows already in the bundle's feature order (tabular; impute,
 *   clip and scale still apply) or nested-array samples (tensor models);
 * - `{ instances: [{ feature: value }, ...] }`: tabular rows by feature name;
 * - `{ images: [bytes, ...] }` or `{ image: bytes }`: encoded JPEG/PNG for image models.
 * A value that is null (or NaN, in-process) is missing: the feature's impute value replaces it.
 */
export type PredictRequest =
  | { inputs: readonly unknown[] }
  | { instances: readonly Record<string, unknown>[] }
  | { images: readonly Uint8Array[] }
  | { image: Uint8Array };

/** A request turned into the model's input. */
export interface PreparedInput {
  tensor: PreprocessedTensor;
  rows: number;
  /**
   * Tabular only, when asked for: the raw values in the bundle's feature order (NaN = missing),
   * what drift counts (before impute, clip and scale).
   */
  rawRows?: number[][];
}

const FORMS = ['inputs', 'instances', 'images', 'image'] as const;

interface FeatureIndex {
  names: readonly string[];
  known: ReadonlySet<string>;
  required: readonly string[];
}
const featureIndexes = new WeakMap<Manifest, FeatureIndex>();

/**
 * Checks a request against the bundle and preprocesses it.
 *
 * @throws InferenceError EF_AGENT_REQUEST_INVALID, EF_AGENT_REQUEST_ROWS,
 *   EF_AGENT_REQUEST_FEATURES; PreprocessError EF_RUNTIME_INPUT_* and EF_RUNTIME_IMAGE_* from
 *   the runtime's preprocessing.
 * @example
 * const { tensor } = await preparePredictInput(manifest, { instances: [{ rpm: 1500, ... }] },
 *   { maxRows: 1024 });
 */
export async function preparePredictInput(
  manifest: Manifest,
  request: unknown,
  options: { maxRows: number; rawRows?: boolean; limitInputPixels?: number },
): Promise<PreparedInput> {
  if (request === null || typeof request !== 'object' || Array.isArray(request)) {
    throw invalid(
      'a prediction request must be an object: {"inputs": [...]} or {"instances": [...]}',
    );
  }
  const keys = Object.keys(request);
  const form = FORMS.find((f) => keys.includes(f));
  const extra = keys.filter((k) => k !== form);
  if (form === undefined || extra.length > 0) {
    throw invalid(
      form === undefined
        ? `a prediction request needs one of ${FORMS.join(', ')}`
        : `a prediction request takes only "${form}", not ${extra.map((k) => JSON.stringify(k)).join(', ')}`,
      { keys: keys.slice(0, 16) },
    );
  }
  const value = (request as Record<string, unknown>)[form];
  const batch: unknown[] = form === 'image' ? [value] : checkRows(form, value, options.maxRows);
  const spec = manifest.preprocess;
  const kind = spec.kind;
  if ((form === 'image' || form === 'images') !== (kind === 'image')) {
    throw invalid(
      kind === 'image'
        ? `model "${manifest.name}" takes images (JPEG/PNG bytes), not "${form}"`
        : `model "${manifest.name}" takes ${kind} rows ("inputs"${kind === 'tabular' ? ' or "instances"' : ''}), not images`,
      { form, kind },
    );
  }
  if (form === 'instances' && kind !== 'tabular') {
    throw invalid(`"instances" (rows by feature name) are for tabular models; use "inputs"`, {
      kind,
    });
  }
  if (form === 'inputs' && kind === 'tabular') {
    batch.forEach((row, i) => {
      if (!Array.isArray(row))
        throw invalid(`inputs[${i}] must be an array of feature values`, { row: i });
    });
  }
  if (form === 'instances' && spec.kind === 'tabular') checkInstances(manifest, batch);

  const modelInput = manifest.model.inputs.find((i) => i.name === spec.input);
  const tensor = await preprocessBatch(spec, batch, {
    modelInputShape: (modelInput?.shape ?? []).map((d) => d ?? 'unknown'),
    ...(options.limitInputPixels === undefined
      ? {}
      : { limitInputPixels: options.limitInputPixels }),
  });
  const prepared: PreparedInput = { tensor, rows: batch.length };
  if (options.rawRows === true && spec.kind === 'tabular') {
    const names = featureIndex(manifest).names;
    prepared.rawRows = batch.map((row) =>
      Array.isArray(row)
        ? row.map(rawNumber)
        : names.map((n) => rawNumber((row as Record<string, unknown>)[n])),
    );
  }
  return prepared;
}

function checkRows(form: string, value: unknown, maxRows: number): unknown[] {
  if (!Array.isArray(value)) throw invalid(`"${form}" must be an array`, { form });
  if (value.length === 0 || value.length > maxRows) {
    throw new InferenceError(
      'EF_AGENT_REQUEST_ROWS',
      value.length === 0
        ? `"${form}" is empty: send at least one row`
        : `"${form}" has ${value.length} rows, over the cap of ${maxRows} per request`,
      { rows: value.length, maxRows },
    );
  }
  return value;
}

function checkInstances(manifest: Manifest, instances: readonly unknown[]): void {
  const index = featureIndex(manifest);
  instances.forEach((instance, row) => {
    if (instance === null || typeof instance !== 'object' || Array.isArray(instance)) {
      throw invalid(`instances[${row}] must be an object of feature values by name`, { row });
    }
    const unknown = Object.keys(instance).filter((k) => !index.known.has(k));
    const missing = index.required.filter((n) => !Object.hasOwn(instance, n));
    if (unknown.length === 0 && missing.length === 0) return;
    const parts = [
      unknown.length > 0 ? `unknown feature(s) ${unknown.slice(0, 32).join(', ')}` : '',
      missing.length > 0 ? `missing feature(s) without an impute value ${missing.join(', ')}` : '',
    ].filter((p) => p !== '');
    throw new InferenceError(
      'EF_AGENT_REQUEST_FEATURES',
      `instances[${row}]: ${parts.join('; ')} (the model's features: ${index.names.join(', ')})`,
      { row, unknown: unknown.slice(0, 32), missing, features: [...index.names] },
    );
  });
}

function featureIndex(manifest: Manifest): FeatureIndex {
  let index = featureIndexes.get(manifest);
  if (index === undefined) {
    const features = manifest.preprocess.kind === 'tabular' ? manifest.preprocess.features : [];
    index = {
      names: features.map((f) => f.name),
      known: new Set(features.map((f) => f.name)),
      required: features.filter((f) => f.impute === undefined).map((f) => f.name),
    };
    featureIndexes.set(manifest, index);
  }
  return index;
}

/** A raw cell as drift counts it; preprocessing has already refused anything unreadable. */
function rawNumber(cell: unknown): number {
  if (typeof cell === 'number') return cell;
  if (typeof cell === 'string' && cell.trim() !== '') return Number(cell.trim());
  return Number.NaN;
}

function invalid(message: string, details?: Record<string, unknown>): InferenceError {
  return new InferenceError('EF_AGENT_REQUEST_INVALID', message, details);
}
