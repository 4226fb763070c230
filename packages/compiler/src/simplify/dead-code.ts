import type { OnnxNode } from '../onnx/index.js';
import { graphContext, initializersAreInputs, isDefaultDomain } from './graph-context.js';
import type { GraphContext, RemovalTally } from './graph-context.js';

/**
 * Removes default-domain nodes none of whose outputs reach a graph output (in
 * reverse order, so whole dead chains go in one pass). Nodes of other domains
 * are never removed: their side effects and semantics are not ours to judge.
 *
 * @example
 * removeDeadNodes(graphContext(model), new RemovalTally()); // 2
 */
export function removeDeadNodes(ctx: GraphContext, tally: RemovalTally): number {
  const needs = new Map<OnnxNode, string[]>();
  for (const [name, users] of ctx.consumers) {
    for (const user of users) needs.set(user, [...(needs.get(user) ?? []), name]);
  }
  const live = new Set(ctx.graphOutputs);
  const kept: OnnxNode[] = [];
  let removed = 0;
  for (let i = ctx.graph.node.length - 1; i >= 0; i--) {
    const node = ctx.graph.node[i] as OnnxNode;
    const outputs = node.output.filter((name) => name !== '');
    const dead =
      isDefaultDomain(node) && outputs.length > 0 && outputs.every((name) => !live.has(name));
    if (dead) {
      tally.add(node.opType);
      removed += 1;
      continue;
    }
    kept.push(node);
    // The consumer map includes what If/Loop/Scan bodies read from this scope.
    for (const name of needs.get(node) ?? []) live.add(name);
  }
  ctx.graph.node = kept.reverse();
  return removed;
}

/**
 * Removes initializers nothing reads. In IR >= 4 an initializer that is also a
 * graph input is an overridable input and stays; in IR < 4 every initializer
 * is listed as an input, and the unused one's input entry goes with it.
 */
export function removeUnusedInitializers(ctx0: GraphContext): number {
  const ctx = graphContext(ctx0.model);
  const graph = ctx.graph;
  const irBelow4 = initializersAreInputs(ctx.model);
  const unused = new Set<string>();
  for (const tensor of graph.initializer) {
    const name = tensor.name ?? '';
    const read = (ctx.consumers.get(name)?.length ?? 0) > 0 || ctx.graphOutputs.has(name);
    if (!read && (irBelow4 || !ctx.graphInputs.has(name))) unused.add(name);
  }
  graph.initializer = graph.initializer.filter((tensor) => !unused.has(tensor.name ?? ''));
  if (irBelow4) graph.input = graph.input.filter((value) => !unused.has(value.name ?? ''));
  return unused.size;
}

/** Drops value_info entries for values that no longer exist, so shape hints never describe a ghost. */
export function pruneValueInfo(ctx: GraphContext): void {
  const graph = ctx.graph;
  const existing = new Set<string>();
  for (const node of graph.node) for (const name of node.output) existing.add(name);
  graph.valueInfo = graph.valueInfo.filter((value) => existing.has(value.name ?? ''));
}
