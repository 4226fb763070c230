import { ModelSession, SessionError } from '@edgefleet/runtime';

import { getModelInputs, makeTensorValueInfo, writeOnnxModel } from '../onnx/index.js';
import type { OnnxModel } from '../onnx/index.js';
import type { CalibrationRange, Calibrator } from '../quantize/calibration-data.js';
import { EntropyCalibrator } from '../quantize/calibration-entropy.js';
import { MinMaxCalibrator } from '../quantize/calibration-minmax.js';
import { PercentileCalibrator } from '../quantize/calibration-percentile.js';
import { QuantizeGraphError } from './quantize-graph-errors.js';

/** One calibration batch: a float32 tensor for every model input. */
export type CalibrationBatch = Readonly<
  Record<string, { readonly data: Float32Array; readonly dims: readonly number[] }>
>;

/** Calibration batches, as an array or streamed (e.g. read from disk batch by batch). */
export type CalibrationSource = AsyncIterable<CalibrationBatch> | Iterable<CalibrationBatch>;

/** How activation ranges are chosen (onnxruntime `CalibrationMethod`). */
export type CalibrationMethod = 'minmax' | 'percentile' | 'entropy';

/** Options of {@link calibrateActivations}. */
export interface CalibrateOptions {
  method: CalibrationMethod;
  /** Percentile kept by the 'percentile' method; default 99.999 (onnxruntime's). */
  percentile?: number;
  /**
   * Histogram bins of 'percentile'/'entropy'. Default 2048 for both: onnxruntime's entropy default
   * (128) leaves a single candidate threshold on one batch, so it never clips outliers.
   */
  numBins?: number;
  /** Called after each batch with the batches done and the total (undefined for streams). */
  onProgress?: ((done: number, total: number | undefined) => void) | undefined;
}

/** Measured ranges by tensor name, and how many batches were run. */
export interface CalibrationResult {
  ranges: Map<string, CalibrationRange>;
  batches: number;
}

function makeCalibrator(options: CalibrateOptions): Calibrator {
  const numBins = options.numBins ?? 2048;
  switch (options.method) {
    case 'minmax':
      return new MinMaxCalibrator();
    case 'percentile':
      return new PercentileCalibrator({ numBins, percentile: options.percentile ?? 99.999 });
    case 'entropy':
      return new EntropyCalibrator({ numBins });
  }
}

/**
 * A copy of `model` that also outputs every tensor in `tensors`, so one onnxruntime run yields
 * all the activations to calibrate (onnxruntime's calibrator does the same with
 * `augment_graph`). Output types are left without shape: onnxruntime infers them.
 *
 * @example
 * augmentForCalibration(model, ['/1/Relu_output_0']).graph.output.length; // original + 1
 */
export function augmentForCalibration(model: OnnxModel, tensors: readonly string[]): OnnxModel {
  const augmented = structuredClone(model);
  const present = new Set(augmented.graph.output.map((v) => v.name ?? ''));
  for (const name of tensors) {
    if (!present.has(name)) augmented.graph.output.push(makeTensorValueInfo(name, 'float32'));
  }
  return augmented;
}

/**
 * Runs `model` (augmented with `tensors` as outputs) in onnxruntime over every calibration batch
 * and feeds each tensor's values to its own calibrator; returns each tensor's range. Only one
 * batch's activations are held at a time.
 *
 * @throws {QuantizeGraphError} `EF_COMPILE_QUANT_NO_CALIBRATION` (no batch),
 *   `EF_COMPILE_QUANT_CALIBRATION_INPUT` (a batch misses an input or has bad data),
 *   `EF_COMPILE_QUANT_CALIBRATION_RUN` (onnxruntime failed).
 * @example
 * const { ranges } = await calibrateActivations(model, ['x', 'relu_out'], batches, { method: 'minmax' });
 * ranges.get('relu_out'); // { rmin: 0, rmax: 6.2 }
 */
export async function calibrateActivations(
  model: OnnxModel,
  tensors: readonly string[],
  source: CalibrationSource,
  options: CalibrateOptions,
): Promise<CalibrationResult> {
  const calibrators = new Map(tensors.map((name) => [name, makeCalibrator(options)]));
  const inputNames = getModelInputs(model).map((v) => v.name ?? '');
  const total = Array.isArray(source) ? source.length : undefined;
  let session: ModelSession;
  try {
    session = await ModelSession.load(writeOnnxModel(augmentForCalibration(model, tensors)), {
      graphOptimization: 'disabled',
    });
  } catch (err) {
    throw runError('load', err);
  }
  let batches = 0;
  try {
    for await (const batch of source) {
      checkBatch(batch, inputNames, batches);
      let outputs: Awaited<ReturnType<ModelSession['run']>>;
      try {
        outputs = await session.run(batch);
      } catch (err) {
        throw runError('run', err);
      }
      for (const [name, calibrator] of calibrators) {
        const values = outputs[name]?.data;
        if (!(values instanceof Float32Array)) {
          throw new QuantizeGraphError(
            'EF_COMPILE_QUANT_CALIBRATION_RUN',
            `Calibration tensor '${name}' is not float32.`,
            { tensor: name },
          );
        }
        calibrator.collect(values);
      }
      batches += 1;
      options.onProgress?.(batches, total);
    }
  } finally {
    await session.release();
  }
  if (batches === 0) {
    throw new QuantizeGraphError(
      'EF_COMPILE_QUANT_NO_CALIBRATION',
      'Static quantization needs at least one calibration batch; none was given.',
    );
  }
  const ranges = new Map<string, CalibrationRange>();
  for (const [name, calibrator] of calibrators) ranges.set(name, calibrator.computeRange());
  return { ranges, batches };
}

function checkBatch(batch: CalibrationBatch, inputNames: readonly string[], index: number): void {
  for (const name of inputNames) {
    const tensor = batch[name];
    const count = tensor?.dims.reduce((a, b) => a * b, 1);
    if (
      tensor === undefined ||
      !(tensor.data instanceof Float32Array) ||
      count !== tensor.data.length
    ) {
      throw new QuantizeGraphError(
        'EF_COMPILE_QUANT_CALIBRATION_INPUT',
        `Calibration batch ${index} has no float32 tensor for input '${name}' whose data length matches its dims.`,
        { batch: index, input: name, given: Object.keys(batch) },
      );
    }
  }
}

function runError(stage: 'load' | 'run', err: unknown): QuantizeGraphError {
  const message = err instanceof Error ? err.message : String(err);
  return new QuantizeGraphError(
    'EF_COMPILE_QUANT_CALIBRATION_RUN',
    `onnxruntime could not ${stage} the calibration model: ${message}`,
    { stage, ...(err instanceof SessionError ? { sessionCode: err.code } : {}) },
    { cause: err },
  );
}
