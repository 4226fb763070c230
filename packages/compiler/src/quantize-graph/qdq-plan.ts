import { buildConsumerMap, getAttrFloat, getAttrInt } from '../onnx/index.js';
import type { OnnxNode } from '../onnx/index.js';
import { floatTensors } from './float-tensors.js';
import { isDefaultDomain, type FloatWeight, type GraphContext } from './graph-context.js';

/** Ops with a weight that QDQ turns into QLinearConv / QLinearMatMul / QGemm after fusion. */
export const QDQ_WEIGHTED_OPS = ['Conv', 'MatMul', 'Gemm'] as const;
/** Ops whose output reuses the input's scale/zero point (onnxruntime `QDQDirect8BitOp` etc.). */
export const QDQ_SHARED_PARAM_OPS = [
  'MaxPool',
  'Flatten',
  'Reshape',
  'Transpose',
  'Squeeze',
  'Unsqueeze',
] as const;
/** Ops quantized with their own output range. */
export const QDQ_OWN_PARAM_OPS = [
  'Relu',
  'GlobalAveragePool',
  'AveragePool',
  'Add',
  'Mul',
] as const;
/** Every op type `quantizeStatic` accepts in `opTypes`. */
export const STATIC_OP_TYPES = [...QDQ_WEIGHTED_OPS, ...QDQ_SHARED_PARAM_OPS, ...QDQ_OWN_PARAM_OPS];
export type StaticOpType = (typeof STATIC_OP_TYPES)[number];

/** A Conv/MatMul/Gemm whose weight (and bias) get DequantizeLinear. */
export interface WeightedNodePlan {
  node: OnnxNode;
  activation: string;
  weight: FloatWeight;
  /** Per-channel axis of the weight, undefined for per-tensor. */
  axis: number | undefined;
  bias: FloatWeight | undefined;
}

/** What to quantize: weighted nodes and activation tensors, with their parameter owners. */
export interface QdqPlan {
  weighted: WeightedNodePlan[];
  /** Every activation to wrap in Q/DQ -> the tensor whose calibrated range it uses. */
  paramSource: Map<string, string>;
  /** Relu nodes removed because the Q after their producer clamps exactly as they did. */
  fusedRelu: string[];
}

const has = (list: readonly string[], op: string): boolean => list.includes(op);

/**
 * Removes a Relu that is the only reader of a weighted node's output (and not a graph output),
 * making that node write the Relu's output: a uint8/int8 Q calibrated on Relu outputs has
 * rmin = 0 at the zero point, so it clamps negatives exactly as Relu did. onnxruntime's QDQ
 * quantizer does the same (`QDQRemovableActivation`), and its Conv+Q fusion then sees no Relu.
 * Returns the removed Relu names.
 *
 * @example
 * fuseRelus(ctx, new Set([convNode])); // ['/2/Relu']; convNode now writes '/2/Relu_output_0'
 */
export function fuseRelus(ctx: GraphContext, candidates: ReadonlySet<OnnxNode>): string[] {
  const consumers = buildConsumerMap(ctx.graph);
  const outputs = new Set(ctx.graph.output.map((v) => v.name ?? ''));
  const removed = new Set<OnnxNode>();
  for (const node of candidates) {
    const out = node.output[0] ?? '';
    const readers = consumers.get(out) ?? [];
    const relu = readers[0];
    if (readers.length !== 1 || relu === undefined || outputs.has(out)) continue;
    if (relu.opType !== 'Relu' || !isDefaultDomain(relu)) continue;
    node.output[0] = relu.output[0] ?? '';
    removed.add(relu);
  }
  ctx.graph.node = ctx.graph.node.filter((n) => !removed.has(n));
  return [...removed].map((n) => n.name ?? '');
}

/**
 * The plan of one Conv/MatMul/Gemm (weight, per-channel axis, bias), or why it stays float.
 *
 * @example
 * const plan = planWeighted(ctx, gemmNode, true); // { axis: 0, bias: {...}, ... } for transB=1
 */
export function planWeighted(
  ctx: GraphContext,
  node: OnnxNode,
  perChannel: boolean,
): WeightedNodePlan | string {
  const [activation, weightName, biasName] = node.input;
  const weight = ctx.floatWeight(weightName);
  if (activation === undefined || weight === undefined || ctx.isInitializer(activation)) {
    return 'kept fp32: the weight is not a float32 constant initializer (or the input is constant)';
  }
  const op = node.opType;
  if (op === 'Conv' && weight.dims.length < 3)
    return `kept fp32: Conv weight of rank ${weight.dims.length}`;
  if (op !== 'Conv' && weight.dims.length !== 2)
    return `kept fp32: weight of rank ${weight.dims.length}, not 2`;
  if (op === 'Gemm') {
    if (getAttrInt(node, 'transA', 0) !== 0) return 'kept fp32: Gemm transA=1';
    if (getAttrFloat(node, 'alpha', 1) !== 1 || getAttrFloat(node, 'beta', 1) !== 1) {
      return 'kept fp32: Gemm alpha/beta other than 1 (the int32 bias would need rescaling)';
    }
  }
  // Output channels: Conv weight [M, C/g, k...] axis 0; MatMul [K, N] axis 1; Gemm B [N, K] if transB.
  const channelAxis =
    op === 'Conv' || (op === 'Gemm' && getAttrInt(node, 'transB', 0) === 1) ? 0 : 1;
  const channels = weight.dims[channelAxis] ?? 0;
  const bias = op === 'MatMul' ? undefined : ctx.floatWeight(biasName);
  const biasFits = bias !== undefined && bias.dims.length === 1 && bias.dims[0] === channels;
  return {
    node,
    activation,
    weight,
    axis: perChannel ? channelAxis : undefined,
    bias: biasFits ? bias : undefined,
  };
}

/**
 * Decides which nodes and tensors get QDQ, walking the (sorted) graph once: weighted nodes
 * quantize their input and output; shared-parameter ops reuse their input's range for the output;
 * own-parameter ops quantize every float input and their output. Only float tensors qualify.
 *
 * @example
 * const plan = planQdq(ctx, { opTypes: new Set(STATIC_OP_TYPES), exclude: new Set(), perChannel: true });
 * plan.paramSource.get('/3/MaxPool_output_0'); // '/2/Relu_output_0' (shares its range)
 */
export function planQdq(
  ctx: GraphContext,
  options: { opTypes: ReadonlySet<string>; exclude: ReadonlySet<string>; perChannel: boolean },
): QdqPlan {
  const eligible = (node: OnnxNode): boolean =>
    isDefaultDomain(node) &&
    options.opTypes.has(node.opType ?? '') &&
    !options.exclude.has(node.name ?? '');
  const weighted: WeightedNodePlan[] = [];
  for (const node of ctx.graph.node) {
    if (!has(QDQ_WEIGHTED_OPS, node.opType ?? '') || !isDefaultDomain(node)) continue;
    if (options.exclude.has(node.name ?? '')) ctx.keep(node, 'kept fp32: listed in nodesToExclude');
    else if (!options.opTypes.has(node.opType ?? '')) continue;
    else {
      const plan = planWeighted(ctx, node, options.perChannel);
      if (typeof plan === 'string') ctx.keep(node, plan);
      else weighted.push(plan);
    }
  }
  const fusedRelu = fuseRelus(ctx, new Set(weighted.map((w) => w.node)));
  const floats = floatTensors(ctx.graph);
  const weightedNodes = new Set(weighted.map((w) => w.node));
  const paramSource = new Map<string, string>();
  const own = (tensor: string): void => {
    if (!paramSource.has(tensor)) paramSource.set(tensor, tensor);
  };
  for (const node of ctx.graph.node) {
    const op = node.opType ?? '';
    const out = node.output[0] ?? '';
    if (weightedNodes.has(node)) {
      own(node.input[0] ?? '');
      own(out);
      continue;
    }
    if (!eligible(node) || !floats.has(out)) continue;
    const input = node.input[0] ?? '';
    if (has(QDQ_SHARED_PARAM_OPS, op)) {
      if (!floats.has(input) || ctx.isInitializer(input) || node.output.length > 1) continue;
      own(input);
      paramSource.set(out, paramSource.get(input) ?? input);
    } else if (has(QDQ_OWN_PARAM_OPS, op)) {
      const inputs = node.input.filter((name) => name !== '');
      // Add/Mul with a constant operand stay float: onnxruntime would need that constant as uint8.
      if (inputs.some((name) => !floats.has(name) || ctx.isInitializer(name))) continue;
      inputs.forEach(own);
      own(out);
    }
  }
  return { weighted, paramSource, fusedRelu };
}
