import {
  TensorDataType,
  encodeTensor,
  getAttrInt,
  getAttrInts,
  opsetVersion,
} from '../onnx/index.js';
import type { OnnxNode } from '../onnx/index.js';
import { addInitializer, isDefaultDomain, readConstant, removeNodes } from './graph-context.js';
import type { GraphContext, RemovalTally } from './graph-context.js';
import { foldCast } from './fold-cast.js';
import {
  foldBinary,
  foldConcat,
  foldTranspose,
  normalizeAxes,
  reshapeDims,
} from './fold-kernels.js';
import type { ConstValue } from './fold-kernels.js';

/** Op types the folder can evaluate; everything else is left in the graph as it is. */
export const FOLDABLE_OP_TYPES: readonly string[] = [
  'Add',
  'Sub',
  'Mul',
  'Div',
  'Cast',
  'Concat',
  'Reshape',
  'Shape',
  'Squeeze',
  'Transpose',
  'Unsqueeze',
];
const FOLDABLE = new Set(FOLDABLE_OP_TYPES);

/**
 * Evaluates nodes whose inputs are all constants and stores their outputs as
 * initializers (the node's output names are kept, so readers need no
 * rewiring). Nodes are visited in order, so a chain of foldable nodes folds in
 * one pass. Results larger than `maxElements` are not folded: folding would
 * trade a cheap node for a bigger model file. Returns how many nodes were folded.
 *
 * @example
 * foldConstants(graphContext(model), 1 << 20, new RemovalTally()); // 4
 */
export function foldConstants(ctx: GraphContext, maxElements: number, tally: RemovalTally): number {
  const opset = opsetVersion(ctx.model) ?? 1;
  const folded: OnnxNode[] = [];
  for (const node of ctx.graph.node) {
    if (!isDefaultDomain(node) || !FOLDABLE.has(node.opType ?? '')) continue;
    if (node.output.length !== 1 || ctx.graphOutputs.has(node.output[0] ?? '')) continue;
    const inputs = node.input.map((name) => (name === '' ? undefined : readConstant(ctx, name)));
    if (node.input.some((name, i) => name !== '' && inputs[i] === undefined)) continue;
    let result: ConstValue | undefined;
    try {
      result = evaluate(node, inputs, opset);
    } catch {
      // A malformed attribute means "not something we can evaluate": leave the node to the runtime.
      result = undefined;
    }
    if (result === undefined || result.data.length > maxElements) continue;
    const name = node.output[0] as string;
    const tensor = encodeTensor(name, result.data, result.dims, result.dataType);
    addInitializer(ctx.model, tensor);
    ctx.constants.set(name, tensor);
    folded.push(node);
    tally.add(node.opType);
  }
  removeNodes(ctx.graph, folded);
  return folded.length;
}

function evaluate(
  node: OnnxNode,
  inputs: (ConstValue | undefined)[],
  opset: number,
): ConstValue | undefined {
  const [first, second] = inputs;
  if (first === undefined) return undefined;
  switch (node.opType) {
    case 'Add':
    case 'Sub':
    case 'Mul':
    case 'Div':
      return second === undefined ? undefined : foldBinary(node.opType, first, second);
    case 'Cast': {
      const to = getAttrInt(node, 'to');
      return to === undefined ? undefined : foldCast(first, to);
    }
    case 'Concat': {
      const values = inputs.filter((value): value is ConstValue => value !== undefined);
      const axis = getAttrInt(node, 'axis');
      return axis === undefined ? undefined : foldConcat(values, axis);
    }
    case 'Transpose':
      return foldTranspose(first, getAttrInts(node, 'perm'));
    case 'Reshape': {
      if (!(second?.data instanceof BigInt64Array)) return undefined;
      const dims = reshapeDims(
        first.dims,
        [...second.data],
        getAttrInt(node, 'allowzero', 0) !== 0,
      );
      return dims === undefined ? undefined : { ...first, dims };
    }
    case 'Shape':
      return shapeOf(node, first);
    case 'Squeeze':
    case 'Unsqueeze': {
      const axes = opset >= 13 ? axesInput(second) : getAttrInts(node, 'axes');
      if (axes === null) return undefined;
      const dims =
        node.opType === 'Squeeze' ? squeezeDims(first.dims, axes) : unsqueezeDims(first.dims, axes);
      return dims === undefined ? undefined : { ...first, dims };
    }
    default:
      return undefined;
  }
}

/** Axes given as an optional int64 input (opset 13+); null when not int64. */
function axesInput(value: ConstValue | undefined): number[] | undefined | null {
  if (value === undefined) return undefined;
  return value.data instanceof BigInt64Array ? Array.from(value.data, Number) : null;
}

function squeezeDims(dims: readonly number[], axes: number[] | undefined): number[] | undefined {
  if (axes === undefined) return dims.filter((dim) => dim !== 1);
  const normalized = normalizeAxes(axes, dims.length);
  if (normalized === undefined || normalized.some((axis) => dims[axis] !== 1)) return undefined;
  return dims.filter((_, i) => !normalized.includes(i));
}

function unsqueezeDims(dims: readonly number[], axes: number[] | undefined): number[] | undefined {
  if (axes === undefined) return undefined;
  const rank = dims.length + axes.length;
  const normalized = normalizeAxes(axes, rank);
  if (normalized === undefined) return undefined;
  const out: number[] = [];
  let next = 0;
  for (let i = 0; i < rank; i++) out.push(normalized.includes(i) ? 1 : (dims[next++] as number));
  return out;
}

/** Shape (with opset 15's start/end slicing) of a constant, whose shape is always static. */
function shapeOf(node: OnnxNode, value: ConstValue): ConstValue {
  const rank = value.dims.length;
  const clamp = (at: number): number => Math.min(Math.max(at < 0 ? at + rank : at, 0), rank);
  const start = clamp(getAttrInt(node, 'start', 0));
  const end = clamp(getAttrInt(node, 'end', rank));
  const dims = value.dims.slice(start, Math.max(start, end));
  return {
    dataType: TensorDataType.INT64,
    dims: [dims.length],
    data: BigInt64Array.from(dims, (dim) => BigInt(dim)),
  };
}
