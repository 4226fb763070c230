import type { OnnxNode } from '../onnx/index.js';
import {
  graphContext,
  isDefaultDomain,
  isUnused,
  readConstant,
  removeNodes,
  renameUses,
} from './graph-context.js';
import type { GraphContext } from './graph-context.js';
import type { RemovalTally } from './graph-context.js';

/**
 * Removes Identity and inference-mode Dropout nodes, which copy their input:
 * readers are rewired to the input. When the copy is a graph output, the
 * producer's output is renamed instead, so the model's output names (what
 * devices and manifests refer to) stay the same. Returns how many were removed.
 *
 * @example
 * removePassThroughNodes(graphContext(model), new RemovalTally()); // 2
 */
export function removePassThroughNodes(ctx0: GraphContext, tally: RemovalTally): number {
  let removed = 0;
  let ctx = ctx0;
  for (const node of [...ctx.graph.node]) {
    if (!isPassThrough(ctx, node)) continue;
    if (!rewire(ctx, node)) continue;
    removeNodes(ctx.graph, [node]);
    tally.add(node.opType);
    removed += 1;
    ctx = graphContext(ctx.model);
  }
  return removed;
}

/** Identity, or a Dropout that cannot drop anything and whose mask nobody reads. */
function isPassThrough(ctx: GraphContext, node: OnnxNode): boolean {
  if (!isDefaultDomain(node) || (node.input[0] ?? '') === '' || (node.output[0] ?? '') === '')
    return false;
  if (node.opType === 'Identity') return node.output.length === 1;
  if (node.opType !== 'Dropout') return false;
  if (node.output.slice(1).some((name) => name !== '' && !isUnused(ctx, name))) return false;
  // Opset 12+: a training_mode input that is not a constant false may really drop values.
  const trainingMode = node.input[2] ?? '';
  if (trainingMode !== '') {
    const value = readConstant(ctx, trainingMode);
    if (value === undefined || value.data.length !== 1 || Number(value.data[0]) !== 0) return false;
  }
  return true;
}

/** Points the node's readers at its input; false when names cannot move safely. */
function rewire(ctx: GraphContext, node: OnnxNode): boolean {
  const input = node.input[0] as string;
  const output = node.output[0] as string;
  // Subgraph bodies read values by name; renaming those would mean editing the bodies.
  if (ctx.subgraphReferences.has(output)) return false;
  if (!ctx.graphOutputs.has(output)) {
    renameUses(ctx.graph, output, input);
    return true;
  }
  // The copy is a graph output: rename the producer's output to the output name.
  const producer = ctx.producers.get(input);
  if (
    producer === undefined ||
    !isDefaultDomain(producer) ||
    ctx.graphOutputs.has(input) ||
    ctx.subgraphReferences.has(input)
  )
    return false;
  producer.output = producer.output.map((name) => (name === input ? output : name));
  renameUses(ctx.graph, input, output);
  return true;
}
