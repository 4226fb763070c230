import { TensorDataType, encodeTensor } from '../onnx/index.js';
import type { OnnxNode, OnnxTensor } from '../onnx/index.js';
import { addInitializer, isDefaultDomain, removeNodes } from './graph-context.js';
import type { GraphContext, RemovalTally } from './graph-context.js';

/**
 * Turns Constant nodes into initializers, so later rules (BatchNorm folding,
 * constant folding) see every constant in one place and the runtime does not
 * execute a node to produce a fixed value. Returns how many were converted.
 *
 * @example
 * constantsToInitializers(graphContext(model), new RemovalTally()); // 1
 */
export function constantsToInitializers(ctx: GraphContext, tally: RemovalTally): number {
  const converted: OnnxNode[] = [];
  for (const node of ctx.graph.node) {
    if (!isDefaultDomain(node) || node.opType !== 'Constant' || node.output.length !== 1) continue;
    const name = node.output[0] as string;
    // An initializer cannot also be a graph output in every runtime; keep those Constants.
    if (name === '' || ctx.graphOutputs.has(name) || ctx.constants.has(name)) continue;
    const tensor = constantTensor(node, name);
    if (tensor === undefined) continue;
    addInitializer(ctx.model, tensor);
    converted.push(node);
  }
  removeNodes(ctx.graph, converted);
  tally.add('Constant', converted.length);
  return converted.length;
}

/** The value of a Constant node as a named tensor; undefined for strings and sparse values. */
export function constantTensor(node: OnnxNode, name: string): OnnxTensor | undefined {
  if (node.attribute.length !== 1) return undefined;
  const attr = node.attribute[0];
  if (attr === undefined) return undefined;
  switch (attr.name) {
    case 'value':
      if (attr.t === undefined || attr.t.dataType === TensorDataType.STRING) return undefined;
      return { ...structuredClone(attr.t), name };
    case 'value_float':
      return encodeTensor(name, new Float32Array([attr.f ?? 0]), []);
    case 'value_floats':
      return encodeTensor(name, Float32Array.from(attr.floats), [attr.floats.length]);
    case 'value_int':
      return encodeTensor(name, new BigInt64Array([attr.i ?? 0n]), []);
    case 'value_ints':
      return encodeTensor(name, BigInt64Array.from(attr.ints), [attr.ints.length]);
    default:
      return undefined;
  }
}
