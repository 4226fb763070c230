import type { Tensor } from 'onnxruntime-node';

/** An onnxruntime element type name ('float32', 'int64', ...). */
export type TensorDataType = Tensor.Type;

/** The typed arrays (or strings) onnxruntime takes and returns as tensor data. */
export type TensorData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | string[];

/** A model input fed by the caller. `type` is only needed where data is ambiguous (uint8 vs bool). */
export interface FeedTensor {
  data: TensorData;
  dims: readonly number[];
  type?: TensorDataType;
}

/** A model output as plain data, detached from onnxruntime. */
export interface OutputTensor {
  data: TensorData;
  dims: number[];
  type: TensorDataType;
}

/** Name, element type and shape of a model input or output, from the session's metadata. */
export interface ModelValueInfo {
  name: string;
  /** 'non-tensor' for sequences and maps (e.g. sklearn's ZipMap), which are never fetched. */
  type: TensorDataType | 'non-tensor';
  /** Numbers are fixed sizes; strings are symbolic dims. Empty when the model declares no shape. */
  shape: ReadonlyArray<number | string>;
}

/** The typed-array class that carries each element type (float16 travels as raw uint16 bits). */
export const DATA_CLASS_BY_TYPE: Readonly<Partial<Record<TensorDataType, string>>> = {
  float32: 'Float32Array',
  float64: 'Float64Array',
  float16: 'Uint16Array',
  int8: 'Int8Array',
  uint8: 'Uint8Array',
  int16: 'Int16Array',
  uint16: 'Uint16Array',
  int32: 'Int32Array',
  uint32: 'Uint32Array',
  int64: 'BigInt64Array',
  uint64: 'BigUint64Array',
  bool: 'Uint8Array',
  int4: 'Int8Array',
  uint4: 'Uint8Array',
  string: 'Array',
};

/** The class name of tensor data as used in {@link DATA_CLASS_BY_TYPE}, or a description. */
export function dataClassName(data: unknown): string {
  if (Array.isArray(data)) return 'Array';
  if (ArrayBuffer.isView(data)) return data.constructor.name;
  return data === null ? 'null' : typeof data;
}
