import { quantRange, type QuantType } from './quant-types.js';
import { QuantizeError } from './quantize-errors.js';
import { f32, roundHalfToEven } from './round.js';

/** A scale (a float32 value) and an integer zero point: real = scale * (q - zeroPoint). */
export interface QuantParams {
  readonly scale: number;
  readonly zeroPoint: number;
}

/** What {@link computeQuantParams} derives a scale and zero point from. */
export interface QuantParamsRequest {
  /** Smallest real value to represent (rounded to float32 first, as numpy float32 data). */
  readonly rmin: number;
  /** Largest real value to represent (rounded to float32 first). */
  readonly rmax: number;
  readonly qType: QuantType;
  /** Symmetric range [-absmax, absmax]; int8 then uses [-127, 127] and zero point 0. */
  readonly symmetric: boolean;
  /** 7-bit range (int8 [-64, 64], uint8 [0, 127]); takes precedence over `symmetric` ranges. */
  readonly reduceRange?: boolean | undefined;
}

/** Smallest positive normal float32 (numpy `finfo(float32).tiny`), onnxruntime's "no range" cut. */
const FLOAT32_TINY = 2 ** -126;

/**
 * Scale and zero point for `r = scale * (q - zeroPoint)`, exactly as onnxruntime's
 * `quant_utils.compute_scale_zp` (with the range of `get_qmin_qmax_for_qType`):
 *
 * 1. rmin/rmax are float32; the range is widened to contain 0 (rmin <= 0 <= rmax) so that real 0
 *    is exactly representable (zero padding, ReLU outputs).
 * 2. symmetric: rmin/rmax become -absmax/+absmax, absmax = max(|rmin|, |rmax|).
 * 3. scale = (rmax - rmin) / (qmax - qmin): the subtraction is float32 (numpy float32 scalars),
 *    the division float64; the scale is rounded to float32 only at the end.
 * 4. scale below float32 `tiny` (e.g. rmin = rmax = 0): scale 1, zero point 0.
 * 5. zero point: symmetric -> round((qmin + qmax) / 2) (int8 0, uint8 128); asymmetric ->
 *    round(qmin - rmin / scale) with the float64 scale, ties to even.
 *
 * @throws QuantizeError `EF_COMPILE_QUANT_RANGE` when rmin/rmax are NaN/±Infinity (or overflow
 *   float32), `EF_COMPILE_QUANT_PARAMS` for an unknown `qType`.
 * @example
 * computeQuantParams({ rmin: -1, rmax: 1, qType: 'int8', symmetric: true }); // { scale: 1/127 as float32, zeroPoint: 0 }
 * computeQuantParams({ rmin: 0, rmax: 0, qType: 'uint8', symmetric: false }); // { scale: 1, zeroPoint: 0 }
 */
export function computeQuantParams(request: QuantParamsRequest): QuantParams {
  const { qType, symmetric, reduceRange } = request;
  const { qmin, qmax } = quantRange(qType, { symmetric, reduceRange });
  let rmin = f32(request.rmin);
  let rmax = f32(request.rmax);
  if (!Number.isFinite(rmin) || !Number.isFinite(rmax)) {
    throw new QuantizeError(
      'EF_COMPILE_QUANT_RANGE',
      `cannot quantize the range [${request.rmin}, ${request.rmax}]: it is not finite in float32`,
      { rmin: request.rmin, rmax: request.rmax },
    );
  }
  rmin = Math.min(rmin, 0);
  rmax = Math.max(rmax, 0);
  if (symmetric) {
    const absmax = Math.max(Math.abs(rmin), Math.abs(rmax));
    rmin = -absmax;
    rmax = absmax;
  }
  const realRange = f32(rmax - rmin);
  if (!Number.isFinite(realRange)) {
    throw new QuantizeError(
      'EF_COMPILE_QUANT_RANGE',
      `the range [${rmin}, ${rmax}] overflows float32 (rmax - rmin is infinite)`,
      { rmin, rmax },
    );
  }
  const scale = realRange / (qmax - qmin);
  if (scale < FLOAT32_TINY) return { scale: 1, zeroPoint: 0 };
  const zeroPoint = symmetric
    ? roundHalfToEven((qmin + qmax) / 2)
    : roundHalfToEven(qmin - rmin / scale);
  // `+ 0` turns a -0 from rounding into 0 (numpy casts it to an integer type).
  return { scale: f32(scale), zeroPoint: zeroPoint + 0 };
}
