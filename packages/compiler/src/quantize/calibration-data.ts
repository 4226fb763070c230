import { QuantizeError } from './quantize-errors.js';

/** A real range chosen by calibration, fed to `computeQuantParams` as rmin/rmax (float32 values). */
export interface CalibrationRange {
  readonly rmin: number;
  readonly rmax: number;
}

/**
 * A calibrator consumes activation batches one at a time and keeps only a summary (extremes or a
 * histogram), never the samples.
 */
export interface Calibrator {
  /** Adds one batch (one inference's values of the tensor). Empty batches are ignored. */
  collect(tensor: Float32Array): void;
  /** The range to quantize with, from everything collected so far. */
  computeRange(): CalibrationRange;
}

/** Min and max of a batch (exact float32 values). */
export interface BatchExtremes {
  readonly min: number;
  readonly max: number;
}

/**
 * Min/max of a non-empty batch; throws `EF_COMPILE_QUANT_RANGE` on NaN/±Infinity. onnxruntime
 * would skip NaN (`nanmin`) and numpy.histogram fails on infinite ranges; a non-finite activation
 * means a broken model or input, so the compiler stops instead of calibrating around it.
 *
 * @example
 * batchExtremes(new Float32Array([3, -1, 2])); // { min: -1, max: 3 }
 */
export function batchExtremes(tensor: Float32Array): BatchExtremes {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < tensor.length; i++) {
    const x = tensor[i] as number;
    if (!Number.isFinite(x)) {
      throw new QuantizeError(
        'EF_COMPILE_QUANT_RANGE',
        `calibration value ${i} is ${x}; activations must be finite`,
        { index: i, value: x },
      );
    }
    if (x < min) min = x;
    if (x > max) max = x;
  }
  return { min, max };
}

/** Throws `EF_COMPILE_CALIBRATION_EMPTY` (nothing collected yet). */
export function calibrationEmpty(calibrator: string): QuantizeError {
  return new QuantizeError(
    'EF_COMPILE_CALIBRATION_EMPTY',
    `${calibrator}: no calibration data was collected (call collect() with a non-empty batch first)`,
    { calibrator },
  );
}

/** Throws `EF_COMPILE_CALIBRATION_OPTIONS` unless `value` is an integer >= 1. */
export function assertPositiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new QuantizeError(
      'EF_COMPILE_CALIBRATION_OPTIONS',
      `${name} must be an integer >= 1, got ${value}`,
      {
        [name]: value,
      },
    );
  }
}
