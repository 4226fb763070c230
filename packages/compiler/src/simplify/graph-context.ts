import {
  DataLocation,
  buildConsumerMap,
  buildProducerMap,
  decodeTensor,
  makeTensorValueInfo,
  nodeSubgraphs,
  outerScopeReferences,
  tensorDims,
} from '../onnx/index.js';
import type { OnnxGraph, OnnxModel, OnnxNode, OnnxTensor, OnnxTypedArray } from '../onnx/index.js';

/**
 * A snapshot of who produces and who uses each value of a model's main graph,
 * shared by the rewrite rules. Rules rebuild it after each rewrite: graphs at
 * the edge are small enough that clarity wins over incremental bookkeeping.
 */
export interface GraphContext {
  readonly model: OnnxModel;
  readonly graph: OnnxGraph;
  readonly producers: Map<string, OnnxNode>;
  readonly consumers: Map<string, OnnxNode[]>;
  readonly graphOutputs: Set<string>;
  readonly graphInputs: Set<string>;
  /** Values read by If/Loop/Scan bodies: renaming them would need edits inside the bodies, so rules leave them alone. */
  readonly subgraphReferences: Set<string>;
  /** Initializers whose value is fixed (not overridable through a graph input of the same name). */
  readonly constants: Map<string, OnnxTensor>;
}

/** IR versions below 4 must list every initializer as a graph input too. */
export function initializersAreInputs(model: OnnxModel): boolean {
  return model.irVersion !== undefined && model.irVersion < 4n;
}

/**
 * Builds the {@link GraphContext} of `model.graph`.
 *
 * @example
 * const ctx = graphContext(model);
 * ctx.consumers.get('conv_out')?.length; // 1
 */
export function graphContext(model: OnnxModel): GraphContext {
  const graph = model.graph;
  const graphInputs = new Set(graph.input.map((value) => value.name ?? ''));
  const subgraphReferences = new Set<string>();
  for (const node of graph.node) {
    for (const subgraph of nodeSubgraphs(node)) {
      for (const name of outerScopeReferences(subgraph)) subgraphReferences.add(name);
    }
  }
  // In IR < 4 every initializer is also an input, and onnxruntime still treats it as a weight.
  const overridable = initializersAreInputs(model) ? new Set<string>() : graphInputs;
  const constants = new Map<string, OnnxTensor>();
  for (const tensor of graph.initializer) {
    const name = tensor.name ?? '';
    if (name !== '' && !overridable.has(name)) constants.set(name, tensor);
  }
  return {
    model,
    graph,
    producers: buildProducerMap(graph),
    consumers: buildConsumerMap(graph),
    graphOutputs: new Set(graph.output.map((value) => value.name ?? '')),
    graphInputs,
    subgraphReferences,
    constants,
  };
}

/** True for nodes of the default `ai.onnx` domain (the only ones the rules interpret). */
export function isDefaultDomain(node: OnnxNode): boolean {
  return node.domain === undefined || node.domain === '' || node.domain === 'ai.onnx';
}

/** True when nothing reads `name`: no node, no subgraph, not a graph output. */
export function isUnused(ctx: GraphContext, name: string): boolean {
  return (ctx.consumers.get(name)?.length ?? 0) === 0 && !ctx.graphOutputs.has(name);
}

/**
 * The single node reading `name` as a direct input, when exactly one node does
 * and the value is neither a graph output nor read by a subgraph.
 */
export function soleConsumer(ctx: GraphContext, name: string): OnnxNode | undefined {
  const users = ctx.consumers.get(name) ?? [];
  if (users.length !== 1 || ctx.graphOutputs.has(name) || ctx.subgraphReferences.has(name))
    return undefined;
  const user = users[0] as OnnxNode;
  return user.input.filter((input) => input === name).length === 1 ? user : undefined;
}

/** A constant's values and dims, or undefined when it is not a decodable, in-file tensor. */
export function readConstant(
  ctx: GraphContext,
  name: string,
): { data: OnnxTypedArray; dims: number[]; dataType: number } | undefined {
  const tensor = ctx.constants.get(name);
  if (tensor === undefined || tensor.dataLocation === DataLocation.EXTERNAL) return undefined;
  try {
    const decoded = decodeTensor(tensor);
    return { data: decoded.data, dims: decoded.dims, dataType: decoded.dataType };
  } catch {
    // An undecodable constant (string, 4-bit, corrupt) simply blocks the rewrite that wanted it.
    return undefined;
  }
}

/** A FLOAT constant's values, or undefined. */
export function readFloat32Constant(
  ctx: GraphContext,
  name: string,
): { data: Float32Array; dims: number[] } | undefined {
  const value = readConstant(ctx, name);
  return value !== undefined && value.data instanceof Float32Array
    ? { data: value.data, dims: value.dims }
    : undefined;
}

/** Replaces every direct use of `from` by `to` in the main graph's nodes. */
export function renameUses(graph: OnnxGraph, from: string, to: string): void {
  for (const node of graph.node) {
    for (let i = 0; i < node.input.length; i++) if (node.input[i] === from) node.input[i] = to;
  }
}

/** Adds an initializer (and, for IR < 4, its mandatory graph input). */
export function addInitializer(model: OnnxModel, tensor: OnnxTensor): void {
  model.graph.initializer.push(tensor);
  if (initializersAreInputs(model)) {
    model.graph.input.push(
      makeTensorValueInfo(tensor.name ?? '', tensor.dataType ?? 0, tensorDims(tensor)),
    );
  }
}

/** Replaces the initializer named `tensor.name` in place, keeping its position. */
export function replaceInitializer(graph: OnnxGraph, tensor: OnnxTensor): void {
  const index = graph.initializer.findIndex((existing) => existing.name === tensor.name);
  if (index >= 0) graph.initializer[index] = tensor;
  else graph.initializer.push(tensor);
}

/** Removes `nodes` from the main graph. */
export function removeNodes(graph: OnnxGraph, nodes: Iterable<OnnxNode>): void {
  const doomed = new Set(nodes);
  graph.node = graph.node.filter((node) => !doomed.has(node));
}

/** Counts removed nodes by op type, in first-seen order, for reports. */
export class RemovalTally {
  readonly #counts = new Map<string, number>();

  add(opType: string | undefined, count = 1): void {
    const key = opType ?? '';
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + count);
  }

  entries(): { opType: string; count: number }[] {
    return [...this.#counts].map(([opType, count]) => ({ opType, count }));
  }
}
