import { AttributeType, TensorDataType, getAttribute } from '../onnx/index.js';
import type { OnnxGraph, OnnxNode } from '../onnx/index.js';
import { isDefaultDomain } from '../simplify/graph-context.js';

/**
 * Element types of the values of a graph, without full shape inference: what
 * the model declares (inputs, outputs, value_info, initializers) plus simple
 * per-op rules for the default domain. A value whose type cannot be known stays
 * absent, and the converter then keeps the nodes touching it in float32; being
 * unsure costs some speed, never correctness.
 */

/** Ops whose outputs all have the type of input 0 (the `T` of their schema). */
const SAME_AS_FIRST_INPUT = new Set(
  (
    'Abs Acos Acosh Add Asin Asinh Atan Atanh AveragePool BatchNormalization Ceil Celu Clip Concat ' +
    'Conv ConvTranspose Cos Cosh CumSum DepthToSpace Div Einsum Elu Erf Exp Expand Flatten Floor Gather ' +
    'GatherElements GatherND Gelu Gemm GlobalAveragePool GlobalLpPool GlobalMaxPool GridSample ' +
    'HardSigmoid HardSwish Hardmax Identity InstanceNormalization LRN LeakyRelu Log LogSoftmax ' +
    'LpNormalization LpPool MatMul Max Mean Min Mish Mod Mul Neg PRelu Pad Pow Range Reciprocal ' +
    'ReduceL1 ReduceL2 ReduceLogSum ReduceLogSumExp ReduceMax ReduceMean ReduceMin ReduceProd ' +
    'ReduceSum ReduceSumSquare Relu Reshape Resize ReverseSequence RoiAlign Round ScatterElements ' +
    'ScatterND Selu Shrink Sigmoid Sign Sin Sinh Slice Softmax Softplus Softsign SpaceToDepth Split ' +
    'Sqrt Squeeze Sub Sum Tan Tanh ThresholdedRelu Tile Transpose Trilu Unsqueeze Upsample'
  ).split(' '),
);

/** Ops with a fixed type for their second output (first output is `T`). */
const SECOND_OUTPUT_TYPE: Readonly<Record<string, number>> = {
  Dropout: TensorDataType.BOOL,
  MaxPool: TensorDataType.INT64,
  TopK: TensorDataType.INT64,
};

const BOOL_OUTPUT = new Set(
  'Equal Greater GreaterOrEqual Less LessOrEqual Not And Or Xor IsNaN IsInf'.split(' '),
);
const INT64_OUTPUT = new Set('Shape Size ArgMax ArgMin NonZero NonMaxSuppression'.split(' '));

/**
 * Element type (a `TensorDataType` number) of every tensor value whose type is
 * declared or follows from the rules; values of non-tensor types are absent.
 *
 * @example
 * inferElemTypes(model.graph).get('logits'); // 1 (FLOAT)
 */
export function inferElemTypes(graph: OnnxGraph): Map<string, number> {
  const types = new Map<string, number>();
  for (const value of [...graph.input, ...graph.output, ...graph.valueInfo]) {
    const elemType = value.type?.tensorType?.elemType;
    if (value.name !== undefined && elemType !== undefined && elemType !== 0)
      types.set(value.name, elemType);
  }
  for (const tensor of graph.initializer) {
    if (tensor.name !== undefined && tensor.dataType !== undefined)
      types.set(tensor.name, tensor.dataType);
  }
  // Nodes are in execution order (the converter sorts them first), so inputs are typed before use.
  for (const node of graph.node) {
    const outputs = outputTypes(node, (name) => types.get(name));
    node.output.forEach((name, i) => {
      const type = outputs[i];
      if (name !== '' && type !== undefined && !types.has(name)) types.set(name, type);
    });
  }
  return types;
}

function outputTypes(
  node: OnnxNode,
  typeOf: (name: string) => number | undefined,
): (number | undefined)[] {
  if (!isDefaultDomain(node)) return [];
  const op = node.opType ?? '';
  const first = typeOf(node.input[0] ?? '');
  if (SAME_AS_FIRST_INPUT.has(op)) {
    if (op === 'BatchNormalization') return node.output.map(() => first);
    if (op === 'Split') return node.output.map(() => first);
    return [first];
  }
  const second = SECOND_OUTPUT_TYPE[op];
  if (second !== undefined) return [first, second];
  if (BOOL_OUTPUT.has(op)) return [TensorDataType.BOOL];
  if (INT64_OUTPUT.has(op)) return [TensorDataType.INT64];
  switch (op) {
    case 'Where':
      return [typeOf(node.input[1] ?? '')];
    case 'CastLike':
      return [typeOf(node.input[1] ?? '')];
    case 'Cast': {
      const to = getAttribute(node, 'to');
      return [to?.type === AttributeType.INT && to.i !== undefined ? Number(to.i) : undefined];
    }
    case 'Constant':
      return [constantType(node)];
    case 'ConstantOfShape':
      return [getAttribute(node, 'value')?.t?.dataType ?? TensorDataType.FLOAT];
    case 'LayerNormalization':
      // Outputs 1 and 2 have the stash type, not T; leave them unknown.
      return [first];
    default:
      return [];
  }
}

function constantType(node: OnnxNode): number | undefined {
  const attr = node.attribute[0];
  switch (attr?.name) {
    case 'value':
      return attr.t?.dataType;
    case 'value_float':
    case 'value_floats':
      return TensorDataType.FLOAT;
    case 'value_int':
    case 'value_ints':
      return TensorDataType.INT64;
    default:
      return undefined;
  }
}
