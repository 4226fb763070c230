import { EdgefleetError } from '@edgefleet/protocol';

/**
 * Error codes raised by the quantization arithmetic (scale/zero-point, quantize/dequantize,
 * calibration), each with what it means. Kept here so the package error catalogue can spread
 * them in one place, like the ONNX layer's codes.
 */
export const QUANTIZE_ERROR_CODES = {
  EF_COMPILE_QUANT_RANGE:
    'A value to quantize or calibrate is not finite (NaN or ±Infinity), so no scale/zero point can be derived from it.',
  EF_COMPILE_QUANT_PARAMS:
    'Quantization parameters are invalid: unknown quantized type, scale not a positive finite number, or zero point not an integer inside the type range.',
  EF_COMPILE_QUANT_SHAPE:
    'The tensor dims, the per-channel axis and the data length do not agree (axis out of range, product of dims differs from the element count, wrong number of per-channel parameters).',
  EF_COMPILE_CALIBRATION_EMPTY:
    'A calibrator was asked for a range before it saw any (non-empty) calibration batch.',
  EF_COMPILE_CALIBRATION_OPTIONS:
    'Calibrator options are invalid (percentile outside [0, 100], bin counts not positive integers, fewer histogram bins than quantized bins).',
} as const satisfies Record<string, string>;

/** One of the {@link QUANTIZE_ERROR_CODES} keys. */
export type QuantizeErrorCode = keyof typeof QUANTIZE_ERROR_CODES;

/**
 * An error raised by the quantization arithmetic. Every failure surfaces with a stable `code`.
 *
 * @example
 * try {
 *   computeQuantParams({ rmin: Number.NaN, rmax: 1, qType: 'uint8', symmetric: false });
 * } catch (err) {
 *   if (err instanceof QuantizeError && err.code === 'EF_COMPILE_QUANT_RANGE') console.error(err.details);
 * }
 */
export class QuantizeError extends EdgefleetError {
  declare readonly code: QuantizeErrorCode;

  constructor(
    code: QuantizeErrorCode,
    message: string,
    details?: Record<string, unknown>,
    options?: ErrorOptions,
  ) {
    super(code, message, details, options);
    this.name = 'QuantizeError';
  }
}
