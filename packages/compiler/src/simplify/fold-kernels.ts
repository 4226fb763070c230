import { TensorDataType, elementCount } from '../onnx/index.js';
import type { OnnxTypedArray } from '../onnx/index.js';

/** A constant value during folding. */
export interface ConstValue {
  dataType: number;
  dims: number[];
  data: OnnxTypedArray;
}

/** Data types the arithmetic kernels compute on (exactly like onnxruntime's CPU kernels). */
const ARITHMETIC_TYPES: ReadonlySet<number> = new Set([
  TensorDataType.FLOAT,
  TensorDataType.DOUBLE,
  TensorDataType.INT32,
  TensorDataType.INT64,
]);

/** numpy-style multidirectional broadcast of two shapes, or undefined when incompatible. */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] | undefined {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return undefined;
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** For each output element, the index of the element of an input of shape `dims` it reads. */
function broadcastIndex(dims: readonly number[], outDims: readonly number[]): Int32Array {
  const total = elementCount(outDims);
  const index = new Int32Array(total);
  const rank = outDims.length;
  const strides = new Array<number>(rank).fill(0);
  let stride = 1;
  for (let i = dims.length - 1; i >= 0; i--) {
    strides[rank - dims.length + i] = dims[i] === 1 ? 0 : stride;
    stride *= dims[i] as number;
  }
  const counter = new Array<number>(rank).fill(0);
  for (let flat = 0; flat < total; flat++) {
    let at = 0;
    for (let d = 0; d < rank; d++) at += (counter[d] as number) * (strides[d] as number);
    index[flat] = at;
    for (let d = rank - 1; d >= 0; d--) {
      counter[d] = (counter[d] as number) + 1;
      if ((counter[d] as number) < (outDims[d] as number)) break;
      counter[d] = 0;
    }
  }
  return index;
}

type BinaryOp = 'Add' | 'Sub' | 'Mul' | 'Div';

/**
 * Add/Sub/Mul/Div with broadcasting. Floats compute in float64 and round once
 * to the output type, which for one +,-,*,/ gives the correctly rounded float32
 * result, the same as onnxruntime. Integer division truncates like C++; integer
 * division by zero is not folded (it is undefined behaviour in the runtime).
 */
export function foldBinary(op: BinaryOp, a: ConstValue, b: ConstValue): ConstValue | undefined {
  if (a.dataType !== b.dataType || !ARITHMETIC_TYPES.has(a.dataType)) return undefined;
  const dims = broadcastShape(a.dims, b.dims);
  if (dims === undefined) return undefined;
  const ia = broadcastIndex(a.dims, dims);
  const ib = broadcastIndex(b.dims, dims);
  const total = ia.length;
  if (a.data instanceof BigInt64Array && b.data instanceof BigInt64Array) {
    const out = new BigInt64Array(total);
    for (let i = 0; i < total; i++) {
      const x = a.data[ia[i] as number] as bigint;
      const y = b.data[ib[i] as number] as bigint;
      if (op === 'Div' && y === 0n) return undefined;
      out[i] = op === 'Add' ? x + y : op === 'Sub' ? x - y : op === 'Mul' ? x * y : x / y;
    }
    return { dataType: a.dataType, dims, data: out };
  }
  const x = a.data as Float32Array | Float64Array | Int32Array;
  const y = b.data as Float32Array | Float64Array | Int32Array;
  const isInt = a.dataType === TensorDataType.INT32;
  const out =
    a.dataType === TensorDataType.FLOAT
      ? new Float32Array(total)
      : a.dataType === TensorDataType.DOUBLE
        ? new Float64Array(total)
        : new Int32Array(total);
  for (let i = 0; i < total; i++) {
    const u = x[ia[i] as number] as number;
    const v = y[ib[i] as number] as number;
    if (isInt && op === 'Div' && v === 0) return undefined;
    // Int32Array stores wrap modulo 2^32 like C++ int32 arithmetic; Math.imul keeps Mul exact.
    out[i] =
      op === 'Add'
        ? u + v
        : op === 'Sub'
          ? u - v
          : op === 'Mul'
            ? isInt
              ? Math.imul(u, v)
              : u * v
            : isInt
              ? Math.trunc(u / v)
              : u / v;
  }
  return { dataType: a.dataType, dims, data: out };
}

/** Transpose by `perm` (default: reversed axes). */
export function foldTranspose(
  value: ConstValue,
  perm: number[] | undefined,
): ConstValue | undefined {
  const rank = value.dims.length;
  const order = perm ?? [...Array(rank).keys()].reverse();
  if (
    order.length !== rank ||
    new Set(order).size !== rank ||
    order.some((p) => p < 0 || p >= rank)
  )
    return undefined;
  const outDims = order.map((axis) => value.dims[axis] as number);
  const inStrides = new Array<number>(rank).fill(1);
  for (let i = rank - 2; i >= 0; i--)
    inStrides[i] = (inStrides[i + 1] as number) * (value.dims[i + 1] as number);
  const total = value.data.length;
  const out = new (value.data.constructor as new (n: number) => OnnxTypedArray)(total);
  const counter = new Array<number>(rank).fill(0);
  for (let flat = 0; flat < total; flat++) {
    let at = 0;
    for (let d = 0; d < rank; d++)
      at += (counter[d] as number) * (inStrides[order[d] as number] as number);
    out[flat] = value.data[at] as never;
    for (let d = rank - 1; d >= 0; d--) {
      counter[d] = (counter[d] as number) + 1;
      if ((counter[d] as number) < (outDims[d] as number)) break;
      counter[d] = 0;
    }
  }
  return { dataType: value.dataType, dims: outDims, data: out };
}

/** Reshape semantics: 0 copies the input dim (unless allowzero), one -1 is inferred. */
export function reshapeDims(
  dims: readonly number[],
  shape: readonly bigint[],
  allowZero: boolean,
): number[] | undefined {
  const total = elementCount(dims);
  const out = shape.map((dim, i) =>
    dim === 0n && !allowZero ? (dims[i] ?? Number.NaN) : Number(dim),
  );
  if (out.some((dim) => Number.isNaN(dim) || dim < -1)) return undefined;
  const inferred = out.filter((dim) => dim === -1).length;
  if (inferred > 1) return undefined;
  const known = out.reduce((product, dim) => (dim === -1 ? product : product * dim), 1);
  if (inferred === 1) {
    if (known === 0 || total % known !== 0) return undefined;
    return out.map((dim) => (dim === -1 ? total / known : dim));
  }
  return known === total ? out : undefined;
}

/** Axes normalised to [0, rank), or undefined when out of range or repeated. */
export function normalizeAxes(axes: readonly number[], rank: number): number[] | undefined {
  const out = axes.map((axis) => (axis < 0 ? axis + rank : axis));
  if (out.some((axis) => axis < 0 || axis >= rank) || new Set(out).size !== out.length)
    return undefined;
  return out;
}

/** Concat along `axis` of same-typed values. */
export function foldConcat(values: readonly ConstValue[], axis: number): ConstValue | undefined {
  const first = values[0];
  if (first === undefined) return undefined;
  const rank = first.dims.length;
  const [at] = normalizeAxes([axis], rank) ?? [];
  if (at === undefined) return undefined;
  for (const value of values) {
    if (value.dataType !== first.dataType || value.dims.length !== rank) return undefined;
    if (value.dims.some((dim, i) => i !== at && dim !== first.dims[i])) return undefined;
  }
  const outer = first.dims.slice(0, at).reduce((p, d) => p * d, 1);
  const outDims = [...first.dims];
  outDims[at] = values.reduce((sum, value) => sum + (value.dims[at] as number), 0);
  const out = new (first.data.constructor as new (n: number) => OnnxTypedArray)(
    elementCount(outDims),
  );
  let offset = 0;
  for (let o = 0; o < outer; o++) {
    for (const value of values) {
      const chunk = value.data.length / outer;
      for (let j = 0; j < chunk; j++) out[offset++] = value.data[o * chunk + j] as never;
    }
  }
  return { dataType: first.dataType, dims: outDims, data: out };
}
