import { TensorDataType } from '../onnx/index.js';
import type { OnnxTypedArray } from '../onnx/index.js';
import type { ConstValue } from './fold-kernels.js';

const CASTABLE: ReadonlySet<number> = new Set([
  TensorDataType.FLOAT,
  TensorDataType.DOUBLE,
  TensorDataType.INT32,
  TensorDataType.INT64,
]);

const INT64_LIMIT = 2 ** 63;
const EXACT_DOUBLE_LIMIT = 2n ** 53n;

/**
 * Cast between float32, float64, int32 and int64 the way onnxruntime's CPU
 * Cast does (C++ static_cast: floats truncate toward zero, int64 -> int32
 * wraps). Conversions C++ leaves undefined (NaN or out-of-range float to int)
 * and int64 beyond 2^53 to float (two roundings could differ from one) are
 * not folded.
 *
 * @example
 * foldCast({ dataType: 1, dims: [2], data: new Float32Array([1.7, -1.7]) }, 7)?.data; // BigInt64Array [1n, -1n]
 */
export function foldCast(value: ConstValue, to: number): ConstValue | undefined {
  if (!CASTABLE.has(value.dataType) || !CASTABLE.has(to)) return undefined;
  const data = castData(value.data, to);
  return data === undefined ? undefined : { dataType: to, dims: [...value.dims], data };
}

function castData(source: OnnxTypedArray, to: number): OnnxTypedArray | undefined {
  if (source instanceof BigInt64Array) {
    if (to === TensorDataType.INT64) return BigInt64Array.from(source);
    if (to === TensorDataType.INT32)
      return Int32Array.from(source, (v) => Number(BigInt.asIntN(32, v)));
    if (source.some((v) => v > EXACT_DOUBLE_LIMIT || v < -EXACT_DOUBLE_LIMIT)) return undefined;
    const numbers = Array.from(source, Number);
    return to === TensorDataType.FLOAT ? Float32Array.from(numbers) : Float64Array.from(numbers);
  }
  const numbers = source as Float32Array | Float64Array | Int32Array;
  if (to === TensorDataType.FLOAT) return Float32Array.from(numbers);
  if (to === TensorDataType.DOUBLE) return Float64Array.from(numbers);
  const truncated = Array.from(numbers, Math.trunc);
  if (to === TensorDataType.INT32) {
    if (truncated.some((v) => !Number.isFinite(v) || v < -(2 ** 31) || v >= 2 ** 31))
      return undefined;
    return Int32Array.from(truncated);
  }
  if (truncated.some((v) => !Number.isFinite(v) || v < -INT64_LIMIT || v >= INT64_LIMIT))
    return undefined;
  return BigInt64Array.from(truncated, (v) => BigInt(v));
}
