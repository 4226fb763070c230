import {
  TensorDataType,
  decodeTensor,
  encodeTensor,
  float32ArrayToFloat16Bits,
} from '../onnx/index.js';
import type { OnnxTensor } from '../onnx/index.js';

/** Largest finite float16. */
export const FLOAT16_MAX = 65504;
/** Smallest positive float16 (subnormal), 2^-24. */
export const FLOAT16_MIN_SUBNORMAL = 2 ** -24;

/** How many values float16 could not represent as they were. */
export interface Float16Stats {
  /** Finite values beyond ±65504, clamped to ±65504 (instead of becoming ±Infinity). */
  clamped: number;
  /** Non-zero values smaller in magnitude than 2^-24, flushed to ±0. */
  flushed: number;
}

/**
 * Float16 bit patterns of float32 values, clamping finite overflow to ±65504
 * (an Infinity weight would turn every output it touches into Inf/NaN) and
 * flushing magnitudes below the smallest subnormal to signed zero. ±Infinity
 * and NaN are kept (they are deliberate, e.g. -Inf attention masks).
 *
 * @example
 * const stats = { clamped: 0, flushed: 0 };
 * toFloat16Bits(new Float32Array([1e6, 1e-9, 0.5]), stats); // Uint16Array [0x7bff, 0x0000, 0x3800]
 * stats; // { clamped: 1, flushed: 1 }
 */
export function toFloat16Bits(values: ArrayLike<number>, stats: Float16Stats): Uint16Array {
  const prepared = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const value = values[i] as number;
    const magnitude = Math.abs(value);
    if (Number.isFinite(value) && magnitude > FLOAT16_MAX) {
      prepared[i] = Math.sign(value) * FLOAT16_MAX;
      stats.clamped += 1;
    } else if (magnitude !== 0 && magnitude < FLOAT16_MIN_SUBNORMAL) {
      prepared[i] = value < 0 ? -0 : 0;
      stats.flushed += 1;
    } else prepared[i] = value;
  }
  return float32ArrayToFloat16Bits(prepared);
}

/**
 * The float16 version of a FLOAT tensor (same name, dims, raw_data storage).
 *
 * @example
 * const half = toFloat16Tensor(findInitializer(graph, 'fc.weight')!, stats);
 * half.dataType; // 10
 */
export function toFloat16Tensor(tensor: OnnxTensor, stats: Float16Stats): OnnxTensor {
  const decoded = decodeTensor(tensor);
  const half = encodeTensor(
    tensor.name ?? '',
    toFloat16Bits(decoded.data as Float32Array, stats),
    decoded.dims,
    TensorDataType.FLOAT16,
  );
  if (tensor.name === undefined) delete half.name;
  if (tensor.docString !== undefined) half.docString = tensor.docString;
  half.metadataProps = tensor.metadataProps;
  return half;
}
