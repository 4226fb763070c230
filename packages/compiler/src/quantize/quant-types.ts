import { QuantizeError } from './quantize-errors.js';

/** The 8-bit integer types the compiler quantizes to. */
export type QuantType = 'int8' | 'uint8';

/** The typed array holding values of a {@link QuantType}. */
export type QuantArray<Q extends QuantType> = Q extends 'int8' ? Int8Array : Uint8Array;

/** An inclusive integer range `[qmin, qmax]` the quantized values are mapped onto. */
export interface QuantRange {
  readonly qmin: number;
  readonly qmax: number;
}

/** Full range of each type: QuantizeLinear saturates to this whatever range the params used. */
const TYPE_RANGE: Record<QuantType, QuantRange> = {
  int8: { qmin: -128, qmax: 127 },
  uint8: { qmin: 0, qmax: 255 },
};

/**
 * The range onnxruntime maps real values onto (`quant_utils.get_qmin_qmax_for_qType`):
 * - reduceRange (7-bit, for CPUs whose u8s8 dot product can overflow int16): int8 [-64, 64]
 *   (note: 129 levels, as onnxruntime's ONNX_INT_TYPE_REDUCED_RANGE) and uint8 [0, 127]; it
 *   wins over `symmetric`.
 * - symmetric int8: [-127, 127], so the zero point is exactly 0 and -128 is never produced.
 * - otherwise the full type range: int8 [-128, 127], uint8 [0, 255] (symmetric uint8 too).
 *
 * @example
 * quantRange('int8', { symmetric: true }); // { qmin: -127, qmax: 127 }
 * quantRange('uint8', { symmetric: false, reduceRange: true }); // { qmin: 0, qmax: 127 }
 */
export function quantRange(
  qType: QuantType,
  options: { symmetric: boolean; reduceRange?: boolean | undefined },
): QuantRange {
  assertQuantType(qType);
  if (options.reduceRange === true) {
    return qType === 'int8' ? { qmin: -64, qmax: 64 } : { qmin: 0, qmax: 127 };
  }
  if (options.symmetric && qType === 'int8') return { qmin: -127, qmax: 127 };
  return TYPE_RANGE[qType];
}

/**
 * The full representable range of a type, used for saturation (ONNX QuantizeLinear `saturate`).
 *
 * @example
 * typeRange('uint8'); // { qmin: 0, qmax: 255 }
 */
export function typeRange(qType: QuantType): QuantRange {
  assertQuantType(qType);
  return TYPE_RANGE[qType];
}

/**
 * Allocates a zero-filled typed array for `qType`.
 *
 * @example
 * newQuantArray('int8', 4); // Int8Array(4)
 */
export function newQuantArray<Q extends QuantType>(qType: Q, length: number): QuantArray<Q> {
  assertQuantType(qType);
  return (qType === 'int8' ? new Int8Array(length) : new Uint8Array(length)) as QuantArray<Q>;
}

/** Throws `EF_COMPILE_QUANT_PARAMS` unless `qType` is `'int8'` or `'uint8'` (guards JS callers). */
export function assertQuantType(qType: unknown): asserts qType is QuantType {
  if (qType !== 'int8' && qType !== 'uint8') {
    throw new QuantizeError(
      'EF_COMPILE_QUANT_PARAMS',
      `unsupported quantized type ${String(qType)}`,
      {
        qType,
      },
    );
  }
}
