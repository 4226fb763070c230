import { closeSync, fstatSync, openSync, readSync, realpathSync } from 'node:fs';
import { endianness } from 'node:os';
import { isAbsolute, relative, resolve, sep } from 'node:path';

import { elementTypeName, TYPED_ARRAY_LAYOUTS } from './data-types.js';
import type { OnnxElementType, OnnxTypedArray, TypedArrayLayout } from './data-types.js';
import { OnnxError } from './onnx-errors.js';
import { DataLocation, TensorDataType } from './onnx-schema.js';
import type { OnnxStringStringEntry, OnnxTensor } from './onnx-types.js';

export {
  float16BitsToFloat32,
  float16BitsToFloat32Array,
  float32ArrayToFloat16Bits,
  float32ToFloat16Bits,
} from './float16.js';

/** ONNX raw_data is little-endian; on a big-endian host every element's bytes must be reversed. */
const HOST_IS_BIG_ENDIAN = endianness() === 'BE';

/** Default cap on one decoded tensor's bytes: 4 GiB, Node's typed array ceiling. */
const DEFAULT_MAX_TENSOR_BYTES = 2 ** 32;

/** Options of {@link decodeTensor}. */
export interface DecodeTensorOptions {
  /**
   * Directory that external data `location`s are relative to (normally the
   * model file's directory). Without it, EXTERNAL tensors are rejected with
   * `EF_COMPILE_ONNX_EXTERNAL_DATA`. Locations may not escape this directory.
   */
  baseDir?: string;
  /** Reject tensors whose data would exceed this many bytes (default 4 GiB). */
  maxBytes?: number;
}

/** A tensor's values as a typed array (see {@link OnnxTypedArray}) with its type and shape. */
export interface DecodedTensor {
  name: string;
  dataType: number;
  elementType: OnnxElementType;
  dims: number[];
  data: OnnxTypedArray;
}

function tensorLabel(tensor: OnnxTensor): string {
  return tensor.name === undefined || tensor.name === ''
    ? 'unnamed tensor'
    : `tensor '${tensor.name}'`;
}

function tensorDataError(
  tensor: OnnxTensor,
  problem: string,
  details: Record<string, unknown> = {},
): OnnxError {
  return new OnnxError('EF_COMPILE_ONNX_TENSOR_DATA', `ONNX ${tensorLabel(tensor)}: ${problem}.`, {
    tensor: tensor.name,
    ...details,
  });
}

/**
 * The dims of a tensor as numbers, checked non-negative and safe.
 *
 * @throws {OnnxError} `EF_COMPILE_ONNX_TENSOR_DATA` for negative or absurd dims.
 * @example
 * tensorDims(initializer); // [8, 4]
 */
export function tensorDims(tensor: OnnxTensor): number[] {
  return tensor.dims.map((dim) => {
    if (dim < 0n || dim > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw tensorDataError(tensor, `dimension ${dim} is negative or too large`, {
        dims: tensor.dims.map(String),
      });
    }
    return Number(dim);
  });
}

/**
 * Number of elements of a shape (1 for a scalar `[]`).
 *
 * @throws {OnnxError} `EF_COMPILE_ONNX_TENSOR_DATA` when the product is not a safe integer.
 * @example
 * elementCount([2, 3, 4]); // 24
 */
export function elementCount(dims: readonly (number | bigint)[]): number {
  let count = 1;
  for (const dim of dims) {
    const size = Number(dim);
    if (!Number.isSafeInteger(size) || size < 0) {
      throw new OnnxError(
        'EF_COMPILE_ONNX_TENSOR_DATA',
        `Invalid tensor dimension ${String(dim)}.`,
        { dim: String(dim) },
      );
    }
    count *= size;
    if (!Number.isSafeInteger(count)) {
      throw new OnnxError(
        'EF_COMPILE_ONNX_TENSOR_DATA',
        'Tensor element count is not a safe integer.',
        {
          dims: dims.map(String),
        },
      );
    }
  }
  return count;
}

function layoutOf(tensor: OnnxTensor): TypedArrayLayout {
  const dataType = tensor.dataType ?? TensorDataType.UNDEFINED;
  const layout = TYPED_ARRAY_LAYOUTS[dataType];
  if (layout === undefined) {
    const name =
      dataType === TensorDataType.UNDEFINED ? 'UNDEFINED' : safeElementTypeName(dataType);
    throw new OnnxError(
      'EF_COMPILE_ONNX_UNSUPPORTED_DTYPE',
      `ONNX ${tensorLabel(tensor)} has data type ${name} (${dataType}), which cannot be decoded to a typed array.`,
      { tensor: tensor.name, dataType },
    );
  }
  return layout;
}

function safeElementTypeName(dataType: number): string {
  try {
    return elementTypeName(dataType);
  } catch {
    return 'unknown';
  }
}

function swapByteOrder(bytes: Uint8Array, bytesPerElement: number): void {
  if (bytesPerElement === 1) return;
  for (let start = 0; start < bytes.length; start += bytesPerElement) {
    bytes.subarray(start, start + bytesPerElement).reverse();
  }
}

/** Copies little-endian bytes into a fresh, aligned buffer and views it (raw_data may sit at any offset). */
function fromLittleEndianBytes(bytes: Uint8Array, layout: TypedArrayLayout): OnnxTypedArray {
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  if (HOST_IS_BIG_ENDIAN) swapByteOrder(copy, layout.bytesPerElement);
  return layout.view(copy.buffer);
}

function fromTypedField(
  tensor: OnnxTensor,
  layout: TypedArrayLayout,
  count: number,
): OnnxTypedArray {
  const values = tensor[layout.typedField];
  if (values.length !== count) {
    throw tensorDataError(
      tensor,
      `has ${values.length} values in ${layout.typedField} but its dims need ${count}`,
      {
        field: layout.typedField,
        expected: count,
        actual: values.length,
      },
    );
  }
  const out = layout.create(count);
  if (out instanceof BigInt64Array || out instanceof BigUint64Array) {
    for (let i = 0; i < count; i++) out[i] = values[i] as bigint;
  } else {
    // uint64_data holds UINT32 as bigint; int32_data holds small ints and fp16 bit patterns.
    for (let i = 0; i < count; i++) out[i] = Number(values[i]);
  }
  return out;
}

function externalEntry(entries: OnnxStringStringEntry[], key: string): string | undefined {
  return entries.find((entry) => entry.key === key)?.value;
}

function externalError(
  tensor: OnnxTensor,
  problem: string,
  details: Record<string, unknown> = {},
  cause?: unknown,
): OnnxError {
  return new OnnxError(
    'EF_COMPILE_ONNX_EXTERNAL_DATA',
    `ONNX ${tensorLabel(tensor)} keeps its data externally: ${problem}.`,
    { tensor: tensor.name, ...details },
    cause === undefined ? undefined : { cause },
  );
}

function parseExternalInteger(
  tensor: OnnxTensor,
  key: string,
  value: string | undefined,
): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw externalError(tensor, `'${key}' is not a non-negative integer: '${value}'`, {
      [key]: value,
    });
  }
  return Number(value);
}

/** Reads `byteLength` bytes of an EXTERNAL tensor from `location` under `baseDir`, refusing paths that escape it. */
function readExternalData(
  tensor: OnnxTensor,
  byteLength: number,
  baseDir: string | undefined,
): Uint8Array {
  const location = externalEntry(tensor.externalData, 'location');
  if (baseDir === undefined) {
    throw externalError(
      tensor,
      `file '${location ?? '?'}' (pass baseDir, the model's directory, to read it)`,
      { location },
    );
  }
  if (location === undefined || location === '')
    throw externalError(tensor, "external_data has no 'location'");
  const offset =
    parseExternalInteger(tensor, 'offset', externalEntry(tensor.externalData, 'offset')) ?? 0;
  const length =
    parseExternalInteger(tensor, 'length', externalEntry(tensor.externalData, 'length')) ??
    byteLength;
  if (length !== byteLength) {
    throw externalError(
      tensor,
      `'length' is ${length} bytes but its dims and type need ${byteLength}`,
      { location, length, byteLength },
    );
  }
  let fd: number | undefined;
  try {
    const base = realpathSync(resolve(baseDir));
    const file = realpathSync(resolve(base, location));
    const rel = relative(base, file);
    if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
      throw externalError(tensor, `location '${location}' is outside the base directory`, {
        location,
      });
    }
    fd = openSync(file, 'r');
    const fileSize = fstatSync(fd).size;
    if (offset + length > fileSize) {
      throw externalError(
        tensor,
        `'${location}' has ${fileSize} bytes, fewer than offset ${offset} + length ${length}`,
        {
          location,
          offset,
          length,
          fileSize,
        },
      );
    }
    const data = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const read = readSync(fd, data, done, length - done, offset + done);
      if (read === 0) throw externalError(tensor, `'${location}' ended early`, { location });
      done += read;
    }
    return data;
  } catch (err) {
    if (err instanceof OnnxError) throw err;
    throw externalError(
      tensor,
      `cannot read '${location}': ${err instanceof Error ? err.message : String(err)}`,
      { location },
      err,
    );
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Decodes a TensorProto (e.g. an initializer) into a typed array.
 *
 * Data comes from `raw_data` (little-endian, copied into an aligned buffer
 * first), the typed field for the data type (`float_data`, `int32_data`,
 * `int64_data`, ...), or, with `baseDir`, an external file. FLOAT16 and
 * BFLOAT16 are returned as Uint16Array bit patterns (use
 * `float16BitsToFloat32Array`), BOOL as Uint8Array, INT64 as BigInt64Array.
 *
 * @throws {OnnxError} `EF_COMPILE_ONNX_UNSUPPORTED_DTYPE` (STRING, complex, 4/8-bit floats),
 *   `EF_COMPILE_ONNX_TENSOR_DATA` (size mismatch, segments), `EF_COMPILE_ONNX_EXTERNAL_DATA`,
 *   `EF_COMPILE_ONNX_TOO_LARGE`.
 * @example
 * const shape = decodeTensor(findInitializer(model.graph, 'shape')!);
 * shape.data; // BigInt64Array [1n, -1n]
 */
export function decodeTensor(tensor: OnnxTensor, options: DecodeTensorOptions = {}): DecodedTensor {
  const layout = layoutOf(tensor);
  const dataType = tensor.dataType as number;
  const dims = tensorDims(tensor);
  const count = elementCount(dims);
  const byteLength = count * layout.bytesPerElement;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_TENSOR_BYTES;
  if (byteLength > maxBytes) {
    throw new OnnxError(
      'EF_COMPILE_ONNX_TOO_LARGE',
      `ONNX ${tensorLabel(tensor)} needs ${byteLength} bytes, over the ${maxBytes}-byte cap.`,
      { tensor: tensor.name, byteLength, maxBytes },
    );
  }
  if (tensor.segment !== undefined)
    throw tensorDataError(tensor, 'segmented tensors are not supported');

  let data: OnnxTypedArray;
  if (tensor.dataLocation === DataLocation.EXTERNAL) {
    data = fromLittleEndianBytes(readExternalData(tensor, byteLength, options.baseDir), layout);
  } else if (tensor.rawData !== undefined) {
    if (tensor.rawData.byteLength !== byteLength) {
      throw tensorDataError(
        tensor,
        `raw_data has ${tensor.rawData.byteLength} bytes but its dims and type need ${byteLength}`,
        {
          expected: byteLength,
          actual: tensor.rawData.byteLength,
        },
      );
    }
    data = fromLittleEndianBytes(tensor.rawData, layout);
  } else {
    data = fromTypedField(tensor, layout, count);
  }
  return { name: tensor.name ?? '', dataType, elementType: elementTypeName(dataType), dims, data };
}

/** The data type a typed array implies when none is given. */
function inferDataType(data: OnnxTypedArray): number {
  if (data instanceof Float32Array) return TensorDataType.FLOAT;
  if (data instanceof Float64Array) return TensorDataType.DOUBLE;
  if (data instanceof Int8Array) return TensorDataType.INT8;
  if (data instanceof Uint8Array) return TensorDataType.UINT8;
  if (data instanceof Int16Array) return TensorDataType.INT16;
  if (data instanceof Uint16Array) return TensorDataType.UINT16;
  if (data instanceof Int32Array) return TensorDataType.INT32;
  if (data instanceof Uint32Array) return TensorDataType.UINT32;
  if (data instanceof BigInt64Array) return TensorDataType.INT64;
  return TensorDataType.UINT64;
}

/**
 * An empty TensorProto with every repeated field present: the shape of a
 * tensor as `readOnnxModel` returns it, for builders to fill.
 *
 * @example
 * const t = emptyTensor('scale'); // { name: 'scale', dims: [], floatData: [], ... }
 */
export function emptyTensor(name?: string): OnnxTensor {
  const tensor: OnnxTensor = {
    dims: [],
    floatData: [],
    int32Data: [],
    stringData: [],
    int64Data: [],
    externalData: [],
    doubleData: [],
    uint64Data: [],
    metadataProps: [],
  };
  if (name !== undefined) tensor.name = name;
  return tensor;
}

/**
 * Encodes a typed array as a TensorProto with `raw_data` (little-endian).
 * The data type is inferred from the array unless given; give it for
 * FLOAT16/BFLOAT16 (Uint16Array bits) and BOOL (Uint8Array of 0/1).
 * The bytes are copied: later changes to `data` do not affect the tensor.
 *
 * @throws {OnnxError} `EF_COMPILE_ONNX_TENSOR_DATA` when dims do not match the data length,
 *   `EF_COMPILE_ONNX_UNSUPPORTED_DTYPE` when `dataType` does not fit the array.
 * @example
 * const shape = encodeTensor('shape', new BigInt64Array([1n, -1n]), [2]); // INT64
 * const half = encodeTensor('w16', float32ArrayToFloat16Bits(w), [4, 4], TensorDataType.FLOAT16);
 */
export function encodeTensor(
  name: string,
  data: OnnxTypedArray,
  dims: readonly (number | bigint)[],
  dataType: number = inferDataType(data),
): OnnxTensor {
  const layout = TYPED_ARRAY_LAYOUTS[dataType];
  if (layout === undefined || layout.create(0).constructor !== data.constructor) {
    throw new OnnxError(
      'EF_COMPILE_ONNX_UNSUPPORTED_DTYPE',
      `Cannot encode a ${data.constructor.name} as ONNX data type ${safeElementTypeName(dataType)} (${dataType}).`,
      { tensor: name, dataType, array: data.constructor.name },
    );
  }
  const count = elementCount(dims);
  if (count !== data.length) {
    throw new OnnxError(
      'EF_COMPILE_ONNX_TENSOR_DATA',
      `Cannot encode tensor '${name}': dims [${dims.join(', ')}] need ${count} elements, data has ${data.length}.`,
      { tensor: name, expected: count, actual: data.length },
    );
  }
  const rawData = new Uint8Array(data.byteLength);
  rawData.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  if (HOST_IS_BIG_ENDIAN) swapByteOrder(rawData, layout.bytesPerElement);
  const tensor = emptyTensor(name);
  tensor.dims = dims.map((dim) => BigInt(dim));
  tensor.dataType = dataType;
  tensor.rawData = rawData;
  return tensor;
}
