import { TensorDataType, nodeSubgraphs } from '../onnx/index.js';
import type { OnnxNode } from '../onnx/index.js';
import { initializersAreInputs, isDefaultDomain } from '../simplify/graph-context.js';
import type { GraphContext } from '../simplify/graph-context.js';
import { ALWAYS_FLOAT32_INPUTS } from './op-block-list.js';

/** Why a node that handles float values stays float32. */
export type KeepFp32Reason =
  'blockList' | 'nodeBlockList' | 'otherDomain' | 'subgraph' | 'unknownType';

/** The precision a value is produced in, or an input slot needs. */
export type Precision = 'fp16' | 'fp32';

/**
 * Which nodes run in float16, and in which precision each float value is
 * produced. Float values crossing between the float16 and float32 regions get
 * Cast nodes; graph inputs, outputs and values read by subgraphs stay float32.
 */
export interface Fp16Plan {
  /** Nodes that run in float16 (they handle float values and nothing keeps them float32). */
  fp16Nodes: Set<OnnxNode>;
  /** Nodes that handle float values but stay float32, with why. */
  kept: Map<OnnxNode, KeepFp32Reason>;
  /** Float32 initializers that become float16. */
  convertedInitializers: Set<string>;
  /** Element types of the original model (see inferElemTypes). */
  types: Map<string, number>;
}

/** Options the plan depends on. */
export interface PlanOptions {
  blockList: ReadonlySet<string>;
  nodeBlockList: ReadonlySet<string>;
}

/**
 * Decides the float16 region of `ctx.graph`.
 *
 * @example
 * const plan = planFloat16(graphContext(model), inferElemTypes(model.graph), { blockList: new Set(['TopK']), nodeBlockList: new Set() });
 */
export function planFloat16(
  ctx: GraphContext,
  types: Map<string, number>,
  options: PlanOptions,
): Fp16Plan {
  const isFloat = (name: string): boolean => types.get(name) === TensorDataType.FLOAT;
  const fp16Nodes = new Set<OnnxNode>();
  const kept = new Map<OnnxNode, KeepFp32Reason>();
  for (const node of ctx.graph.node) {
    const values = [...node.input, ...node.output].filter((name) => name !== '');
    if (!values.some(isFloat)) continue;
    const reason = keepReason(node, values, types, options);
    if (reason === undefined) fp16Nodes.add(node);
    else kept.set(node, reason);
  }
  const convertedInitializers = new Set<string>();
  // In IR < 4 every initializer is also listed as an input: those entries are weights, not inputs.
  const realInputs = initializersAreInputs(ctx.model) ? new Set<string>() : ctx.graphInputs;
  for (const [name, tensor] of ctx.constants) {
    if (tensor.dataType !== TensorDataType.FLOAT) continue;
    if (ctx.graphOutputs.has(name) || ctx.subgraphReferences.has(name) || realInputs.has(name))
      continue;
    const users = ctx.consumers.get(name) ?? [];
    const wanted = users.some((user) =>
      user.input.some(
        (input, i) => input === name && requiredPrecision(user, i, fp16Nodes) === 'fp16',
      ),
    );
    if (wanted) convertedInitializers.add(name);
  }
  return { fp16Nodes, kept, convertedInitializers, types };
}

function keepReason(
  node: OnnxNode,
  values: string[],
  types: Map<string, number>,
  options: PlanOptions,
): KeepFp32Reason | undefined {
  if (!isDefaultDomain(node)) return 'otherDomain';
  if (options.blockList.has(node.opType ?? '')) return 'blockList';
  if (node.name !== undefined && options.nodeBlockList.has(node.name)) return 'nodeBlockList';
  if (nodeSubgraphs(node).length > 0) return 'subgraph';
  if (values.some((name) => !types.has(name))) return 'unknownType';
  return undefined;
}

/** Ops that take an input of any float precision: Cast converts it, Shape and Size only read its dims. */
const ANY_PRECISION_OPS = new Set(['Cast', 'Shape', 'Size']);

/**
 * The precision input `index` of `node` needs: float16 inside the region except
 * the always-float32 inputs; 'any' for ops that do not care, so no Cast is added.
 */
export function requiredPrecision(
  node: OnnxNode,
  index: number,
  fp16Nodes: ReadonlySet<OnnxNode>,
): Precision | 'any' {
  if (!fp16Nodes.has(node)) return 'fp32';
  if (ANY_PRECISION_OPS.has(node.opType ?? '')) return 'any';
  return ALWAYS_FLOAT32_INPUTS[node.opType ?? '']?.includes(index) ? 'fp32' : 'fp16';
}
