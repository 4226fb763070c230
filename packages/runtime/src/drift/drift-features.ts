/**
 * What the drift baseline counts, per preprocessing kind, computed the same way by the
 * compiler (over calibration data) and the agent (over live inputs):
 * - tabular: each raw feature value as the device received it (before impute, clip and scale),
 *   so a recalibrated sensor shows up in its own units and missing values count as missing;
 * - tensor and image: per channel, the mean and standard deviation of each sample's
 *   preprocessed tensor (brightness and contrast for images, level and energy for signals),
 *   because raw samples have no fixed features to bin.
 */
import type { PreprocessSpec, PreprocessedTensor } from '../preprocess/preprocess-spec.js';
import { DriftError } from './drift-errors.js';

/** The channel axis of a preprocessed batch: 1 for nchw and [N, C, ...] tensors, last for nhwc. */
function channelAxis(spec: PreprocessSpec, rank: number): number {
  if (spec.kind === 'image' && spec.layout === 'nhwc') return rank - 1;
  return rank >= 3 ? 1 : rank - 1;
}

/**
 * Names of the drift features for a spec and model input shape (batch dim first).
 *
 * @example
 * driftFeatureNames({ kind: 'tensor', input: 'x' }, ['batch', 1, 512]); // ['c0_mean', 'c0_std']
 */
export function driftFeatureNames(
  spec: PreprocessSpec,
  inputShape: ReadonlyArray<number | string>,
): string[] {
  if (spec.kind === 'tabular') return spec.features.map((f) => f.name);
  const channels =
    spec.kind === 'image' ? spec.channels : inputShape.length >= 3 ? inputShape[1] : 1;
  if (
    typeof channels !== 'number' ||
    !Number.isInteger(channels) ||
    channels < 1 ||
    channels > 512
  ) {
    throw new DriftError(
      'EF_RUNTIME_DRIFT_SHAPE',
      `cannot tell the channel count from input shape [${inputShape.join(', ')}]`,
    );
  }
  const names: string[] = [];
  for (let c = 0; c < channels; c++) names.push(`c${c}_mean`, `c${c}_std`);
  return names;
}

/**
 * Per-sample drift feature rows of a preprocessed batch (tensor and image specs): for each
 * sample and channel, the mean and population std over the channel's elements.
 *
 * @example
 * const rows = driftFeatureRows(spec, { data, dims: [32, 1, 512] }); // 32 rows of [mean, std]
 */
export function driftFeatureRows(spec: PreprocessSpec, batch: PreprocessedTensor): number[][] {
  if (spec.kind === 'tabular') {
    throw new DriftError(
      'EF_RUNTIME_DRIFT_OPTIONS',
      'tabular drift features are the raw rows, not the preprocessed tensor',
    );
  }
  const dims = batch.dims;
  const n = dims[0] ?? 0;
  if (dims.length < 2 || n === 0) return [];
  const perSample = batch.data.length / n;
  // A [N, L] tensor has no channel axis: the whole sample is one channel.
  const flat = spec.kind === 'tensor' && dims.length < 3;
  const axis = channelAxis(spec, dims.length);
  const channels = flat ? 1 : (dims[axis] as number);
  // Elements of one channel within a sample: stride pattern [outer, channel, inner].
  const inner = flat ? perSample : dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const outer = perSample / (channels * inner);
  const rows: number[][] = [];
  for (let s = 0; s < n; s++) {
    const base = s * perSample;
    const row: number[] = [];
    for (let c = 0; c < channels; c++) {
      let sum = 0;
      let sumSq = 0;
      for (let o = 0; o < outer; o++) {
        const start = base + (o * channels + c) * inner;
        for (let i = 0; i < inner; i++) {
          const v = batch.data[start + i] as number;
          sum += v;
          sumSq += v * v;
        }
      }
      const count = outer * inner;
      const mean = sum / count;
      row.push(mean, Math.sqrt(Math.max(0, sumSq / count - mean * mean)));
    }
    rows.push(row);
  }
  return rows;
}
