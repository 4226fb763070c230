import { TensorDataType, makeInitializer } from '../onnx/index.js';
import { quantizeTensor } from '../quantize/quantize-tensor.js';
import { roundHalfToEven, f32 } from '../quantize/round.js';
import type { FloatWeight, GraphContext } from './graph-context.js';
import type { WeightScheme } from './quantize-report.js';

/** The three initializers of a quantized weight (ONNX QuantizeLinear/DequantizeLinear inputs). */
export interface QuantizedWeight {
  quantized: string;
  scale: string;
  zeroPoint: string;
  /** Per-channel axis, or undefined for per-tensor (scalar scale and zero point). */
  axis: number | undefined;
  scheme: WeightScheme;
  /** The scales, kept for bias quantization (length 1 per tensor). */
  scales: Float32Array;
}

/** How to quantize a weight, as onnxruntime's `quantize_weight` / `quantize_weight_per_channel`. */
export interface WeightRequest {
  weight: FloatWeight;
  qType: 'int8' | 'uint8';
  symmetric: boolean;
  /** Per-channel axis; undefined quantizes per tensor. */
  axis: number | undefined;
}

const cacheKeys = new WeakMap<GraphContext, Map<string, QuantizedWeight>>();

function schemeOf(request: WeightRequest): WeightScheme {
  if (request.qType === 'uint8') return 'uint8-per-tensor-asymmetric';
  return request.axis === undefined ? 'int8-per-tensor-symmetric' : 'int8-per-channel-symmetric';
}

/**
 * Quantizes a float initializer once per (weight, type, axis) and adds `<w>_quantized`,
 * `<w>_scale`, `<w>_zero_point` (onnxruntime's names). A weight shared by several nodes is
 * quantized once, as onnxruntime does; a transposed copy (Gemm transB) passes its own name.
 *
 * @example
 * const q = addQuantizedWeight(ctx, { weight, qType: 'int8', symmetric: true, axis: 1 });
 * q.quantized; // 'fc.weight_quantized'
 */
export function addQuantizedWeight(ctx: GraphContext, request: WeightRequest): QuantizedWeight {
  let cache = cacheKeys.get(ctx);
  if (cache === undefined) cacheKeys.set(ctx, (cache = new Map()));
  const { weight, qType, symmetric, axis } = request;
  const key = `${weight.name}\u0000${weight.variant ?? ''}\u0000${qType}\u0000${symmetric}\u0000${axis ?? 'tensor'}`;
  const cached = cache.get(key);
  if (cached !== undefined) return cached;

  const spec = axis === undefined ? { symmetric } : { axis, dims: weight.dims, symmetric };
  const q = quantizeTensor(weight.data, spec, qType);
  const paramDims = axis === undefined ? [] : [q.scales.length];
  const dataType = qType === 'int8' ? TensorDataType.INT8 : TensorDataType.UINT8;
  const result: QuantizedWeight = {
    quantized: ctx.names.next(`${weight.name}_quantized`),
    scale: ctx.names.next(`${weight.name}_scale`),
    zeroPoint: ctx.names.next(`${weight.name}_zero_point`),
    axis,
    scheme: schemeOf(request),
    scales: q.scales,
  };
  ctx.addInitializer(makeInitializer(result.quantized, q.data, weight.dims, dataType));
  ctx.addInitializer(makeInitializer(result.scale, q.scales, paramDims, TensorDataType.FLOAT));
  ctx.addInitializer(makeInitializer(result.zeroPoint, q.zeroPoints, paramDims, dataType));
  cache.set(key, result);
  return result;
}

/**
 * A 2-D [rows, cols] float weight transposed to [cols, rows] (Gemm transB=1 stores B as [N, K];
 * onnxruntime's dynamic path transposes it so MatMulInteger sees [K, N]).
 *
 * @example
 * transposeWeight({ name: 'w', data: Float32Array.of(1, 2, 3, 4, 5, 6), dims: [2, 3] }).dims; // [3, 2]
 */
export function transposeWeight(
  weight: FloatWeight,
  name = `${weight.name}_transposed`,
): FloatWeight {
  const [rows = 0, cols = 0] = weight.dims;
  const data = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) data[c * rows + r] = weight.data[r * cols + c] as number;
  }
  return { name, data, dims: [cols, rows], variant: 'transposed' };
}

/** The int32 bias of a static QDQ Conv/Gemm and its per-channel scale. */
export interface QuantizedBias {
  data: Int32Array;
  scales: Float32Array;
}

const INT32_MAX = 2 ** 31 - 1;

/**
 * Bias quantized as onnxruntime's `quantize_bias_static_impl`: scale = input_scale *
 * weight_scale (float32, per output channel), zero point 0, q = round_half_even(bias / scale)
 * in float32, saturated to int32. A zero scale (all-zero weight channel) is replaced by 1 so the
 * division stays finite (our guard: the bias is then rounded to an integer).
 *
 * @example
 * quantizeBias(Float32Array.of(0.5), 0.01, Float32Array.of(0.1)).data; // Int32Array [500]
 */
export function quantizeBias(
  bias: Float32Array,
  inputScale: number,
  weightScales: Float32Array,
): QuantizedBias {
  const scales = new Float32Array(bias.length);
  const data = new Int32Array(bias.length);
  for (let i = 0; i < bias.length; i++) {
    const weightScale = (weightScales.length === 1 ? weightScales[0] : weightScales[i]) as number;
    let scale = f32(inputScale * weightScale);
    if (scale === 0) scale = 1;
    scales[i] = scale;
    const q = roundHalfToEven(f32((bias[i] as number) / scale));
    data[i] = Math.max(-INT32_MAX - 1, Math.min(INT32_MAX, q));
  }
  return { data, scales };
}
