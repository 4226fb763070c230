import { OnnxError } from './onnx-errors.js';
import { TensorDataType } from './onnx-schema.js';

/**
 * ONNX element types by the short names the manifest and the quantizer use,
 * and how each maps to `TensorProto.DataType` and to a JS typed array.
 */

/** Short element type names (numpy-style), one per `TensorProto.DataType`. */
export type OnnxElementType =
  | 'float32'
  | 'uint8'
  | 'int8'
  | 'uint16'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'string'
  | 'bool'
  | 'float16'
  | 'float64'
  | 'uint32'
  | 'uint64'
  | 'complex64'
  | 'complex128'
  | 'bfloat16'
  | 'float8e4m3fn'
  | 'float8e4m3fnuz'
  | 'float8e5m2'
  | 'float8e5m2fnuz'
  | 'uint4'
  | 'int4'
  | 'float4e2m1'
  | 'float8e8m0';

/** Typed arrays a decoded tensor can be: FLOAT16/BFLOAT16 are Uint16Array bit patterns, BOOL is Uint8Array of 0/1. */
export type OnnxTypedArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

const NAME_BY_DATA_TYPE: Readonly<Record<number, OnnxElementType>> = {
  [TensorDataType.FLOAT]: 'float32',
  [TensorDataType.UINT8]: 'uint8',
  [TensorDataType.INT8]: 'int8',
  [TensorDataType.UINT16]: 'uint16',
  [TensorDataType.INT16]: 'int16',
  [TensorDataType.INT32]: 'int32',
  [TensorDataType.INT64]: 'int64',
  [TensorDataType.STRING]: 'string',
  [TensorDataType.BOOL]: 'bool',
  [TensorDataType.FLOAT16]: 'float16',
  [TensorDataType.DOUBLE]: 'float64',
  [TensorDataType.UINT32]: 'uint32',
  [TensorDataType.UINT64]: 'uint64',
  [TensorDataType.COMPLEX64]: 'complex64',
  [TensorDataType.COMPLEX128]: 'complex128',
  [TensorDataType.BFLOAT16]: 'bfloat16',
  [TensorDataType.FLOAT8E4M3FN]: 'float8e4m3fn',
  [TensorDataType.FLOAT8E4M3FNUZ]: 'float8e4m3fnuz',
  [TensorDataType.FLOAT8E5M2]: 'float8e5m2',
  [TensorDataType.FLOAT8E5M2FNUZ]: 'float8e5m2fnuz',
  [TensorDataType.UINT4]: 'uint4',
  [TensorDataType.INT4]: 'int4',
  [TensorDataType.FLOAT4E2M1]: 'float4e2m1',
  [TensorDataType.FLOAT8E8M0]: 'float8e8m0',
};

const DATA_TYPE_BY_NAME: Readonly<Record<string, number>> = Object.fromEntries(
  Object.entries(NAME_BY_DATA_TYPE).map(([dataType, name]) => [name, Number(dataType)]),
);

/**
 * The short name of an ONNX `TensorProto.DataType` number.
 *
 * @throws {OnnxError} `EF_COMPILE_ONNX_UNSUPPORTED_DTYPE` for UNDEFINED (0) or unknown numbers.
 * @example
 * elementTypeName(1); // 'float32'
 * elementTypeName(10); // 'float16'
 */
export function elementTypeName(dataType: number): OnnxElementType {
  const name = NAME_BY_DATA_TYPE[dataType];
  if (name === undefined) {
    throw new OnnxError(
      'EF_COMPILE_ONNX_UNSUPPORTED_DTYPE',
      `Unknown ONNX tensor data type ${dataType}.`,
      { dataType },
    );
  }
  return name;
}

/**
 * The ONNX `TensorProto.DataType` number of a short element type name.
 *
 * @example
 * dataTypeOf('int64'); // 7
 */
export function dataTypeOf(elementType: OnnxElementType): number {
  const dataType = DATA_TYPE_BY_NAME[elementType];
  if (dataType === undefined) {
    throw new OnnxError(
      'EF_COMPILE_ONNX_UNSUPPORTED_DTYPE',
      `Unknown ONNX element type '${String(elementType)}'.`,
      {
        elementType,
      },
    );
  }
  return dataType;
}

/** How one decodable element type is stored: typed array, bytes per element, and which TensorProto typed field holds it. */
export interface TypedArrayLayout {
  /** A zeroed array of `length` elements. */
  readonly create: (length: number) => OnnxTypedArray;
  /** A view over a whole (aligned, little-endian-ordered) buffer. */
  readonly view: (buffer: ArrayBuffer) => OnnxTypedArray;
  readonly bytesPerElement: number;
  readonly typedField: 'floatData' | 'doubleData' | 'int32Data' | 'int64Data' | 'uint64Data';
}

/** The element types decodeTensor/encodeTensor support, keyed by data type number. */
export const TYPED_ARRAY_LAYOUTS: Readonly<Record<number, TypedArrayLayout>> = {
  [TensorDataType.FLOAT]: {
    create: (n) => new Float32Array(n),
    view: (b) => new Float32Array(b),
    bytesPerElement: 4,
    typedField: 'floatData',
  },
  [TensorDataType.DOUBLE]: {
    create: (n) => new Float64Array(n),
    view: (b) => new Float64Array(b),
    bytesPerElement: 8,
    typedField: 'doubleData',
  },
  [TensorDataType.FLOAT16]: {
    create: (n) => new Uint16Array(n),
    view: (b) => new Uint16Array(b),
    bytesPerElement: 2,
    typedField: 'int32Data',
  },
  [TensorDataType.BFLOAT16]: {
    create: (n) => new Uint16Array(n),
    view: (b) => new Uint16Array(b),
    bytesPerElement: 2,
    typedField: 'int32Data',
  },
  [TensorDataType.INT8]: {
    create: (n) => new Int8Array(n),
    view: (b) => new Int8Array(b),
    bytesPerElement: 1,
    typedField: 'int32Data',
  },
  [TensorDataType.UINT8]: {
    create: (n) => new Uint8Array(n),
    view: (b) => new Uint8Array(b),
    bytesPerElement: 1,
    typedField: 'int32Data',
  },
  [TensorDataType.BOOL]: {
    create: (n) => new Uint8Array(n),
    view: (b) => new Uint8Array(b),
    bytesPerElement: 1,
    typedField: 'int32Data',
  },
  [TensorDataType.INT16]: {
    create: (n) => new Int16Array(n),
    view: (b) => new Int16Array(b),
    bytesPerElement: 2,
    typedField: 'int32Data',
  },
  [TensorDataType.UINT16]: {
    create: (n) => new Uint16Array(n),
    view: (b) => new Uint16Array(b),
    bytesPerElement: 2,
    typedField: 'int32Data',
  },
  [TensorDataType.INT32]: {
    create: (n) => new Int32Array(n),
    view: (b) => new Int32Array(b),
    bytesPerElement: 4,
    typedField: 'int32Data',
  },
  [TensorDataType.INT64]: {
    create: (n) => new BigInt64Array(n),
    view: (b) => new BigInt64Array(b),
    bytesPerElement: 8,
    typedField: 'int64Data',
  },
  [TensorDataType.UINT32]: {
    create: (n) => new Uint32Array(n),
    view: (b) => new Uint32Array(b),
    bytesPerElement: 4,
    typedField: 'uint64Data',
  },
  [TensorDataType.UINT64]: {
    create: (n) => new BigUint64Array(n),
    view: (b) => new BigUint64Array(b),
    bytesPerElement: 8,
    typedField: 'uint64Data',
  },
};
