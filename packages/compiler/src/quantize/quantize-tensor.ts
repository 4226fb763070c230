import { channelLayout, forEachInChannel, type PerChannelAxis } from './channel-layout.js';
import { computeQuantParams, type QuantParams } from './quant-params.js';
import { newQuantArray, typeRange, type QuantArray, type QuantType } from './quant-types.js';
import { assertQuantParams, quantizeValue } from './quantize-linear.js';
import { QuantizeError } from './quantize-errors.js';

/** Per-tensor quantization with parameters derived from the data's min/max (`quantize_data`). */
export interface PerTensorFromData {
  readonly symmetric: boolean;
  readonly reduceRange?: boolean | undefined;
}

/** Per-channel quantization: one scale/zero point per index of `axis`, each from that slice's min/max. */
export interface PerChannelFromData extends PerChannelAxis {
  readonly symmetric: boolean;
  readonly reduceRange?: boolean | undefined;
}

/** How {@link quantizeTensor} picks parameters: given ones, per-tensor from data, or per-channel. */
export type QuantizeSpec = QuantParams | PerTensorFromData | PerChannelFromData;

/** A quantized tensor: `scales`/`zeroPoints` have length 1 (per-tensor) or one per channel. */
export interface QuantizedTensor<Q extends QuantType = QuantType> {
  readonly data: QuantArray<Q>;
  readonly scales: Float32Array;
  readonly zeroPoints: QuantArray<Q>;
}

/**
 * Quantizes a float32 tensor the way onnxruntime's quantizer writes initializers:
 * - `{ scale, zeroPoint }`: ONNX QuantizeLinear with those parameters (per-tensor).
 * - `{ symmetric, reduceRange? }`: `quant_utils.quantize_data` — params from the tensor's min/max
 *   ({@link computeQuantParams}), an empty tensor gets scale 1 / zero point 0.
 * - `{ axis, dims, symmetric, reduceRange? }`: per-channel, as `quantize_weight_per_channel`: each
 *   slice along `axis` is quantized by `quantize_data` on its own. MatMul weights [K, N] use axis 1,
 *   Gemm with transB=1 ([N, K]) axis 0, Conv weights [M, C/g, kH, kW] axis 0.
 *
 * Values are saturated to the full type range (QuantizeLinear), round half to even, float32 math.
 *
 * @throws QuantizeError `EF_COMPILE_QUANT_RANGE` (NaN, or ±Infinity when params come from data),
 *   `EF_COMPILE_QUANT_PARAMS` (bad given params or qType), `EF_COMPILE_QUANT_SHAPE` (dims/axis).
 * @example
 * const w = new Float32Array([1, -2, 0.5, 4]); // [K=2, N=2]
 * const q = quantizeTensor(w, { axis: 1, dims: [2, 2], symmetric: true }, 'int8');
 * // q.scales = [1/127, 4/127] (float32), q.zeroPoints = [0, 0], q.data = [127, -64, 64, 127]
 */
export function quantizeTensor<Q extends QuantType>(
  data: Float32Array,
  spec: QuantizeSpec,
  qType: Q,
): QuantizedTensor<Q> {
  const { qmin, qmax } = typeRange(qType);
  const out = newQuantArray(qType, data.length);
  if ('scale' in spec) {
    assertQuantParams(spec.scale, spec.zeroPoint, qType);
    for (let i = 0; i < data.length; i++) {
      out[i] = quantizeValue(data[i] as number, spec.scale, spec.zeroPoint, qmin, qmax);
    }
    return withParams(out, [spec], qType);
  }
  const layout =
    'axis' in spec
      ? channelLayout(spec, data.length)
      : { outer: 1, channels: 1, inner: data.length };
  const params: QuantParams[] = [];
  for (let c = 0; c < layout.channels; c++) {
    let rmin = Infinity;
    let rmax = -Infinity;
    forEachInChannel(layout, c, (i) => {
      const x = data[i] as number;
      if (!Number.isFinite(x)) throw nonFinite(x, i);
      if (x < rmin) rmin = x;
      if (x > rmax) rmax = x;
    });
    // onnxruntime compute_data_quant_params: an empty tensor keeps scale 1, zero point 0.
    const p =
      rmin > rmax
        ? { scale: 1, zeroPoint: 0 }
        : computeQuantParams({
            rmin,
            rmax,
            qType,
            symmetric: spec.symmetric,
            reduceRange: spec.reduceRange,
          });
    params.push(p);
    forEachInChannel(layout, c, (i) => {
      out[i] = quantizeValue(data[i] as number, p.scale, p.zeroPoint, qmin, qmax);
    });
  }
  return withParams(out, params, qType);
}

function withParams<Q extends QuantType>(
  data: QuantArray<Q>,
  params: readonly QuantParams[],
  qType: Q,
): QuantizedTensor<Q> {
  const scales = Float32Array.from(params, (p) => p.scale);
  const zeroPoints = newQuantArray(qType, params.length);
  params.forEach((p, i) => {
    zeroPoints[i] = p.zeroPoint;
  });
  return { data, scales, zeroPoints };
}

function nonFinite(value: number, index: number): QuantizeError {
  return new QuantizeError(
    'EF_COMPILE_QUANT_RANGE',
    `element ${index} is ${value}: a non-finite tensor has no quantization range`,
    { index, value },
  );
}
