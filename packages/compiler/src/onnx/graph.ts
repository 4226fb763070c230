import { OnnxError } from './onnx-errors.js';
import type { OnnxGraph, OnnxModel, OnnxNode, OnnxTensor, OnnxValueInfo } from './onnx-types.js';

/**
 * Read-only queries over a graph that graph rewrites (quantization, BatchNorm
 * folding) need. Nothing here mutates or interprets operators, so nodes of any
 * domain (`ai.onnx.ml`, `com.microsoft`, custom) pass through untouched.
 */

/**
 * The initializer named `name`, if any.
 *
 * @example
 * const weight = findInitializer(model.graph, 'fc1.weight');
 */
export function findInitializer(graph: OnnxGraph, name: string): OnnxTensor | undefined {
  return graph.initializer.find((tensor) => tensor.name === name);
}

/**
 * Initializers by name, for many lookups.
 *
 * @example
 * const inits = initializerMap(model.graph);
 * inits.has('fc1.bias'); // true
 */
export function initializerMap(graph: OnnxGraph): Map<string, OnnxTensor> {
  return new Map(graph.initializer.map((tensor) => [tensor.name ?? '', tensor]));
}

/**
 * The subgraphs held by a node's GRAPH/GRAPHS attributes (If, Loop, Scan bodies).
 *
 * @example
 * nodeSubgraphs(ifNode).length; // 2 (then_branch, else_branch)
 */
export function nodeSubgraphs(node: OnnxNode): OnnxGraph[] {
  const graphs: OnnxGraph[] = [];
  for (const attr of node.attribute) {
    if (attr.g !== undefined) graphs.push(attr.g);
    graphs.push(...attr.graphs);
  }
  return graphs;
}

/**
 * Calls `visit` on `graph` and, depth first, on every nested subgraph.
 *
 * @example
 * let nodes = 0;
 * visitGraphs(model.graph, (g) => (nodes += g.node.length));
 */
export function visitGraphs(
  graph: OnnxGraph,
  visit: (graph: OnnxGraph, depth: number) => void,
  depth = 0,
): void {
  visit(graph, depth);
  for (const node of graph.node) {
    for (const subgraph of nodeSubgraphs(node)) visitGraphs(subgraph, visit, depth + 1);
  }
}

/** Names defined inside `graph` itself: inputs, initializers and node outputs. */
function definedNames(graph: OnnxGraph): Set<string> {
  const names = new Set<string>();
  for (const input of graph.input) names.add(input.name ?? '');
  for (const tensor of graph.initializer) names.add(tensor.name ?? '');
  for (const sparse of graph.sparseInitializer) names.add(sparse.values?.name ?? '');
  for (const node of graph.node) for (const output of node.output) names.add(output);
  return names;
}

/**
 * Values a subgraph reads from enclosing scopes (ONNX lets If/Loop bodies use
 * outer values by name). The node holding the subgraph depends on them.
 *
 * @example
 * outerScopeReferences(thenBranch); // Set { 'x' }
 */
export function outerScopeReferences(graph: OnnxGraph): Set<string> {
  const defined = definedNames(graph);
  const free = new Set<string>();
  for (const node of graph.node) {
    for (const name of nodeRequiredValues(node))
      if (name !== '' && !defined.has(name)) free.add(name);
  }
  return free;
}

/** Every value a node needs before it can run: its inputs plus what its subgraphs take from outside. */
function nodeRequiredValues(node: OnnxNode): string[] {
  const required = node.input.filter((name) => name !== '');
  for (const subgraph of nodeSubgraphs(node)) required.push(...outerScopeReferences(subgraph));
  return required;
}

/**
 * Producing node of every value computed in `graph` (value name -> node).
 *
 * @example
 * buildProducerMap(model.graph).get('relu_out')?.opType; // 'Relu'
 */
export function buildProducerMap(graph: OnnxGraph): Map<string, OnnxNode> {
  const producers = new Map<string, OnnxNode>();
  for (const node of graph.node) {
    for (const output of node.output) if (output !== '') producers.set(output, node);
  }
  return producers;
}

/**
 * Consuming nodes of every value used in `graph` (value name -> nodes, in
 * graph order, each node once). A node whose If/Loop body reads an outer value
 * counts as a consumer of it. Graph outputs are not nodes: check
 * `graph.output` too before removing a value.
 *
 * @example
 * buildConsumerMap(model.graph).get('x')?.map((n) => n.opType); // ['MatMul']
 */
export function buildConsumerMap(graph: OnnxGraph): Map<string, OnnxNode[]> {
  const consumers = new Map<string, OnnxNode[]>();
  for (const node of graph.node) {
    for (const name of new Set(nodeRequiredValues(node))) {
      const list = consumers.get(name);
      if (list === undefined) consumers.set(name, [node]);
      else list.push(node);
    }
  }
  return consumers;
}

/** Where a graph's nodes are out of order, as reported by {@link checkTopologicalOrder}. */
export type TopologicalOrderReport =
  | { sorted: true }
  | {
      sorted: false;
      nodeIndex: number;
      nodeName: string | undefined;
      opType: string | undefined;
      missingInput: string;
    };

/**
 * Checks that every node only uses values already available: graph inputs,
 * initializers, outputs of earlier nodes, or `outerScope` (for subgraphs).
 *
 * @example
 * const report = checkTopologicalOrder(model.graph);
 * if (!report.sorted) console.warn(`${report.opType} uses ${report.missingInput} too early`);
 */
export function checkTopologicalOrder(
  graph: OnnxGraph,
  outerScope: Iterable<string> = [],
): TopologicalOrderReport {
  const available = new Set<string>(outerScope);
  for (const input of graph.input) available.add(input.name ?? '');
  for (const tensor of graph.initializer) available.add(tensor.name ?? '');
  for (const sparse of graph.sparseInitializer) available.add(sparse.values?.name ?? '');
  for (const [nodeIndex, node] of graph.node.entries()) {
    for (const name of nodeRequiredValues(node)) {
      if (!available.has(name)) {
        return {
          sorted: false,
          nodeIndex,
          nodeName: node.name,
          opType: node.opType,
          missingInput: name,
        };
      }
    }
    for (const output of node.output) available.add(output);
  }
  return { sorted: true };
}

/**
 * True when {@link checkTopologicalOrder} finds no problem.
 *
 * @example
 * isTopologicallySorted(model.graph); // true for any exported model
 */
export function isTopologicallySorted(
  graph: OnnxGraph,
  outerScope: Iterable<string> = [],
): boolean {
  return checkTopologicalOrder(graph, outerScope).sorted;
}

/**
 * The graph's nodes in a valid execution order, keeping the original order
 * wherever it is already valid (stable Kahn's algorithm). Use after rewrites
 * that append nodes out of place.
 *
 * @throws {OnnxError} `EF_COMPILE_ONNX_GRAPH` on a cycle, a value produced twice, or an input nobody provides.
 * @example
 * model.graph.node = topologicalSort(model.graph);
 */
export function topologicalSort(graph: OnnxGraph, outerScope: Iterable<string> = []): OnnxNode[] {
  const available = new Set<string>(outerScope);
  for (const input of graph.input) available.add(input.name ?? '');
  for (const tensor of graph.initializer) available.add(tensor.name ?? '');
  for (const sparse of graph.sparseInitializer) available.add(sparse.values?.name ?? '');

  const producerIndex = new Map<string, number>();
  for (const [index, node] of graph.node.entries()) {
    for (const output of node.output) {
      if (output === '') continue;
      if (producerIndex.has(output) || available.has(output)) {
        throw new OnnxError(
          'EF_COMPILE_ONNX_GRAPH',
          `Value '${output}' is produced more than once.`,
          { value: output },
        );
      }
      producerIndex.set(output, index);
    }
  }

  const count = graph.node.length;
  const pending = new Array<number>(count).fill(0);
  const dependents: number[][] = Array.from({ length: count }, () => []);
  for (const [index, node] of graph.node.entries()) {
    for (const name of new Set(nodeRequiredValues(node))) {
      if (available.has(name)) continue;
      const producer = producerIndex.get(name);
      if (producer === undefined) {
        throw new OnnxError(
          'EF_COMPILE_ONNX_GRAPH',
          `Node ${node.opType ?? '?'} '${node.name ?? ''}' uses '${name}', which nothing provides.`,
          {
            node: node.name,
            value: name,
          },
        );
      }
      pending[index] = (pending[index] as number) + 1;
      (dependents[producer] as number[]).push(index);
    }
  }

  // Always emit the lowest ready index next, so an already sorted graph is unchanged.
  const ready: number[] = [];
  for (let index = 0; index < count; index++) if (pending[index] === 0) ready.push(index);
  const order: OnnxNode[] = [];
  while (ready.length > 0) {
    ready.sort((a, b) => a - b);
    const index = ready.shift() as number;
    order.push(graph.node[index] as OnnxNode);
    for (const dependent of dependents[index] as number[]) {
      pending[dependent] = (pending[dependent] as number) - 1;
      if (pending[dependent] === 0) ready.push(dependent);
    }
  }
  if (order.length !== count) {
    throw new OnnxError(
      'EF_COMPILE_ONNX_GRAPH',
      `The graph has a cycle among ${count - order.length} nodes.`,
      {
        nodesInCycle: count - order.length,
      },
    );
  }
  return order;
}

/**
 * The imported version of an operator set, or undefined when not imported.
 * '' and 'ai.onnx' name the same default domain.
 *
 * @example
 * opsetVersion(model); // 17
 * opsetVersion(model, 'com.microsoft'); // 1 or undefined
 */
export function opsetVersion(model: OnnxModel, domain = ''): number | undefined {
  const normalize = (name: string | undefined): string =>
    name === undefined || name === 'ai.onnx' ? '' : name;
  const wanted = normalize(domain);
  const entry = model.opsetImport.find((opset) => normalize(opset.domain) === wanted);
  return entry?.version === undefined ? undefined : Number(entry.version);
}

/**
 * The graph inputs a caller must feed: `graph.input` minus those that are
 * initializers (IR < 4 models list every weight as an input too).
 *
 * @example
 * getGraphInputs(model.graph).map((v) => v.name); // ['input']
 */
export function getGraphInputs(graph: OnnxGraph): OnnxValueInfo[] {
  const initializers = new Set(graph.initializer.map((tensor) => tensor.name));
  return graph.input.filter((input) => !initializers.has(input.name));
}

/**
 * The model's real inputs (see {@link getGraphInputs}).
 *
 * @example
 * getModelInputs(model)[0]?.name; // 'input'
 */
export function getModelInputs(model: OnnxModel): OnnxValueInfo[] {
  return getGraphInputs(model.graph);
}

/**
 * Hands out names not yet used anywhere in a model (values, nodes,
 * initializers, in all subgraphs), for nodes and values a rewrite adds.
 *
 * @example
 * const names = UniqueNameGenerator.forModel(model);
 * names.next('fc1.weight_quantized'); // 'fc1.weight_quantized', then 'fc1.weight_quantized_1', ...
 */
export class UniqueNameGenerator {
  readonly #used = new Set<string>();
  readonly #counters = new Map<string, number>();

  constructor(names: Iterable<string> = []) {
    for (const name of names) this.#used.add(name);
  }

  /** A generator that avoids every name already in `model`. */
  static forModel(model: OnnxModel): UniqueNameGenerator {
    const generator = new UniqueNameGenerator();
    visitGraphs(model.graph, (graph) => {
      if (graph.name !== undefined) generator.reserve(graph.name);
      for (const value of [...graph.input, ...graph.output, ...graph.valueInfo])
        generator.reserve(value.name ?? '');
      for (const tensor of graph.initializer) generator.reserve(tensor.name ?? '');
      for (const node of graph.node) {
        if (node.name !== undefined) generator.reserve(node.name);
        for (const name of [...node.input, ...node.output]) generator.reserve(name);
      }
    });
    return generator;
  }

  /** Marks `name` as taken. */
  reserve(name: string): void {
    if (name !== '') this.#used.add(name);
  }

  /** Whether `name` is taken. */
  has(name: string): boolean {
    return this.#used.has(name);
  }

  /** `base` if free, else `base_1`, `base_2`, ...; the result is reserved. */
  next(base: string): string {
    let candidate = base;
    let counter = this.#counters.get(base) ?? 0;
    while (candidate === '' || this.#used.has(candidate)) {
      counter += 1;
      candidate = `${base}_${counter}`;
    }
    this.#counters.set(base, counter);
    this.#used.add(candidate);
    return candidate;
  }
}
