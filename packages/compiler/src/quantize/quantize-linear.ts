import { typeRange, type QuantType } from './quant-types.js';
import { QuantizeError } from './quantize-errors.js';
import { f32, roundHalfToEven } from './round.js';

/**
 * ONNX QuantizeLinear for one value: `saturate(round(x / scale) + zeroPoint)`, round half to even,
 * saturating to [qmin, qmax] (pass the full type range: onnxruntime's `quantize_nparray` clips to
 * the type range even when the parameters came from a reduced range). `x / scale` is a float32
 * division (numpy float32 arrays, MLAS `_mm_div_ps`); ±Infinity saturates.
 *
 * @throws QuantizeError `EF_COMPILE_QUANT_RANGE` when `x` is NaN (it has no integer image).
 * @example
 * quantizeValue(3, 2, 128, 0, 255); // 130 (3 / 2 = 1.5 rounds to 2)
 */
export function quantizeValue(
  x: number,
  scale: number,
  zeroPoint: number,
  qmin: number,
  qmax: number,
): number {
  if (Number.isNaN(x)) {
    throw new QuantizeError('EF_COMPILE_QUANT_RANGE', 'cannot quantize NaN', { value: x });
  }
  const q = roundHalfToEven(f32(x / scale)) + zeroPoint;
  return q < qmin ? qmin : q > qmax ? qmax : q + 0;
}

/**
 * Throws `EF_COMPILE_QUANT_PARAMS` unless `scale` is a positive finite float and `zeroPoint` an
 * integer inside the type range (what QuantizeLinear/DequantizeLinear accept).
 *
 * @example
 * assertQuantParams(0.5, 128, 'uint8'); // ok
 */
export function assertQuantParams(scale: number, zeroPoint: number, qType: QuantType): void {
  const { qmin, qmax } = typeRange(qType);
  if (!(Number.isFinite(scale) && scale > 0)) {
    throw new QuantizeError(
      'EF_COMPILE_QUANT_PARAMS',
      `scale must be positive and finite, got ${scale}`,
      {
        scale,
      },
    );
  }
  if (!Number.isInteger(zeroPoint) || zeroPoint < qmin || zeroPoint > qmax) {
    throw new QuantizeError(
      'EF_COMPILE_QUANT_PARAMS',
      `zero point ${zeroPoint} is not an integer in [${qmin}, ${qmax}] (${qType})`,
      { zeroPoint, qType },
    );
  }
}
