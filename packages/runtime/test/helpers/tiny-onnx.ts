/**
 * Hand-encodes tiny ONNX models (protobuf) for session tests, so the runtime's tests need
 * neither the compiler nor Python. Only the fields onnxruntime needs are written.
 */

type Dim = number | string;

export interface TinyValueInfo {
  name: string;
  /** ONNX TensorProto.DataType: 1 float, 7 int64, 11 double. */
  elemType?: number;
  shape: Dim[];
}

export interface TinyInitializer {
  name: string;
  dims: number[];
  /** float32 values. */
  values: number[];
}

export interface TinyNode {
  opType: string;
  inputs: string[];
  outputs: string[];
}

export interface TinyModel {
  nodes: TinyNode[];
  inputs: TinyValueInfo[];
  outputs: TinyValueInfo[];
  initializers?: TinyInitializer[];
  opset?: number;
}

function varint(value: number | bigint): number[] {
  let v = BigInt(value);
  if (v < 0n) v += 1n << 64n; // int64 two's complement, as protobuf encodes negatives
  const out: number[] = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return out;
}

const key = (field: number, wireType: 0 | 2): number[] => varint((field << 3) | wireType);
const int = (field: number, value: number): number[] => [...key(field, 0), ...varint(value)];
function bytes(field: number, payload: Uint8Array | number[]): number[] {
  return [...key(field, 2), ...varint(payload.length), ...payload];
}
const str = (field: number, s: string): number[] => bytes(field, [...Buffer.from(s, 'utf8')]);

function valueInfo(field: number, v: TinyValueInfo): number[] {
  const dims = v.shape.flatMap((d) => bytes(1, typeof d === 'number' ? int(1, d) : str(2, d)));
  const tensorType = [...int(1, v.elemType ?? 1), ...bytes(2, dims)];
  return bytes(field, [...str(1, v.name), ...bytes(2, bytes(1, tensorType))]);
}

function initializer(t: TinyInitializer): number[] {
  const raw = Buffer.from(new Float32Array(t.values).buffer);
  return bytes(5, [
    ...t.dims.flatMap((d) => int(1, d)),
    ...int(2, 1),
    ...str(8, t.name),
    ...bytes(9, [...raw]),
  ]);
}

function node(n: TinyNode, index: number): number[] {
  return bytes(1, [
    ...n.inputs.flatMap((i) => str(1, i)),
    ...n.outputs.flatMap((o) => str(2, o)),
    ...str(3, `${n.opType.toLowerCase()}_${index}`),
    ...str(4, n.opType),
  ]);
}

/** Encodes a ModelProto (IR version 8, default-domain opset 13 unless given). */
export function encodeTinyModel(model: TinyModel): Uint8Array {
  const graph = [
    ...model.nodes.flatMap(node),
    ...str(2, 'tiny'),
    ...(model.initializers ?? []).flatMap(initializer),
    ...model.inputs.flatMap((v) => valueInfo(11, v)),
    ...model.outputs.flatMap((v) => valueInfo(12, v)),
  ];
  const opset = [...str(1, ''), ...int(2, model.opset ?? 13)];
  return Uint8Array.from([
    ...int(1, 8),
    ...str(2, 'edgefleet-test'),
    ...bytes(7, graph),
    ...bytes(8, opset),
  ]);
}

/** Y[N, 3] = X[N, 3] + B, with B = bias. */
export function addBiasModel(bias: [number, number, number], batch: Dim = 'N'): Uint8Array {
  return encodeTinyModel({
    nodes: [{ opType: 'Add', inputs: ['X', 'B'], outputs: ['Y'] }],
    initializers: [{ name: 'B', dims: [3], values: bias }],
    inputs: [{ name: 'X', shape: [batch, 3] }],
    outputs: [{ name: 'Y', shape: [batch, 3] }],
  });
}

/** logits[N, K] = X[N, F] x W[F, K], with W row-major (F rows of K). */
export function linearModel(weights: number[][]): Uint8Array {
  const f = weights.length;
  const k = weights[0]?.length ?? 0;
  return encodeTinyModel({
    nodes: [{ opType: 'MatMul', inputs: ['features', 'W'], outputs: ['logits'] }],
    initializers: [{ name: 'W', dims: [f, k], values: weights.flat() }],
    inputs: [{ name: 'features', shape: ['batch', f] }],
    outputs: [{ name: 'logits', shape: ['batch', k] }],
  });
}
