import { quantizeValue } from './quantize-linear.js';
import { QuantizeError } from './quantize-errors.js';
import { f32, roundHalfToEven } from './round.js';

/** Output of {@link dynamicQuantizeLinear}: uint8 data, float32 scale, uint8 zero point. */
export interface DynamicQuantized {
  readonly data: Uint8Array;
  readonly scale: number;
  readonly zeroPoint: number;
}

/**
 * ONNX DynamicQuantizeLinear (uint8, asymmetric) as onnxruntime's CPU kernel computes it
 * (`GetQuantizationParameter` + `MlasQuantizeLinear`, all float32):
 * `min = min(0, min(x))`, `max = max(0, max(x))`, `scale = (max - min) / 255`,
 * `zeroPoint = round(saturate(0 - min / scale))`, `y = saturate(round(x / scale) + zeroPoint)`.
 * The runtime applies this to activations in int8 dynamic mode; the compiler uses it to estimate
 * the error of that mode.
 *
 * Where max == min (all-zero input) onnxruntime uses scale 1; the ONNX spec formula divides by
 * zero there and the ONNX reference implementation returns 1/255 (zero point and data are 0 in
 * every case).
 *
 * @throws QuantizeError `EF_COMPILE_QUANT_RANGE` when `x` holds NaN or ±Infinity.
 * @example
 * dynamicQuantizeLinear(new Float32Array([0, 2, -3, -2.5, 1.34, 0.5]));
 * // { scale: 0.019607843831181526, zeroPoint: 153, data: [153, 255, 0, 26, 221, 178] }
 */
export function dynamicQuantizeLinear(x: Float32Array): DynamicQuantized {
  let min = 0;
  let max = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i] as number;
    if (!Number.isFinite(v)) {
      throw new QuantizeError('EF_COMPILE_QUANT_RANGE', `element ${i} is ${v}`, {
        index: i,
        value: v,
      });
    }
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const scale = max === min ? 1 : f32(f32(max - min) / 255);
  const initialZeroPoint = f32(0 - f32(min / scale));
  const zeroPoint = roundHalfToEven(Math.min(255, Math.max(0, initialZeroPoint))) + 0;
  const data = new Uint8Array(x.length);
  for (let i = 0; i < x.length; i++)
    data[i] = quantizeValue(x[i] as number, scale, zeroPoint, 0, 255);
  return { data, scale, zeroPoint };
}
