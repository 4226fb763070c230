import { getAttrFloat, getAttrInt, makeInitializer } from '../onnx/index.js';
import type { OnnxNode, UniqueNameGenerator } from '../onnx/index.js';
import {
  addInitializer,
  isDefaultDomain,
  isUnused,
  readFloat32Constant,
  replaceInitializer,
} from './graph-context.js';
import type { GraphContext } from './graph-context.js';

/**
 * What an inference-mode BatchNormalization does per channel c, reduced to an
 * affine map y = x * scale[c] + shift[c], computed in float64 so that folding it
 * into weights rounds once (when stored as float32), not at every step.
 */
export interface BatchNormAffine {
  /** gamma / sqrt(var + epsilon). */
  scale: Float64Array;
  /** BatchNorm's beta. */
  beta: Float64Array;
  /** BatchNorm's running mean. */
  mean: Float64Array;
}

/**
 * The per-channel affine map of a foldable BatchNormalization node, or
 * undefined when it cannot be folded: not the default domain, training mode,
 * non-spatial (opset < 9), extra outputs in use, or parameters that are not
 * float32 initializers of one length.
 */
export function batchNormAffine(ctx: GraphContext, bn: OnnxNode): BatchNormAffine | undefined {
  if (!isDefaultDomain(bn) || bn.opType !== 'BatchNormalization' || bn.input.length < 5)
    return undefined;
  if (getAttrInt(bn, 'training_mode', 0) !== 0 || getAttrInt(bn, 'spatial', 1) !== 1)
    return undefined;
  // Outputs 1.. exist only in training mode; if anything reads them the node must stay.
  if (bn.output.slice(1).some((name) => name !== '' && !isUnused(ctx, name))) return undefined;
  const params = bn.input.slice(1, 5).map((name) => readFloat32Constant(ctx, name));
  const [gamma, beta, mean, variance] = params;
  if (!gamma || !beta || !mean || !variance) return undefined;
  const channels = gamma.data.length;
  if (params.some((param) => param?.data.length !== channels || param.dims.length !== 1))
    return undefined;
  const epsilon = getAttrFloat(bn, 'epsilon', 1e-5);
  const scale = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    scale[c] = (gamma.data[c] as number) / Math.sqrt((variance.data[c] as number) + epsilon);
  }
  return { scale, beta: Float64Array.from(beta.data), mean: Float64Array.from(mean.data) };
}

/**
 * Stores float32 `data` as input `index` of `node`. The initializer already
 * there is overwritten when `node` is its only reader; otherwise (shared
 * weights, or no input yet) a new initializer gets a fresh name so other
 * readers keep the old values.
 */
export function setNodeConstant(
  ctx: GraphContext,
  names: UniqueNameGenerator,
  node: OnnxNode,
  index: number,
  data: Float32Array,
  dims: readonly number[],
  baseName: string,
): void {
  const current = node.input[index] ?? '';
  const users = current === '' ? [] : (ctx.consumers.get(current) ?? []);
  const exclusive =
    current !== '' &&
    ctx.constants.has(current) &&
    users.length === 1 &&
    users[0] === node &&
    node.input.filter((name) => name === current).length === 1 &&
    !ctx.graphOutputs.has(current) &&
    !ctx.subgraphReferences.has(current);
  if (exclusive) {
    replaceInitializer(ctx.graph, makeInitializer(current, data, dims));
    return;
  }
  const name = names.next(baseName);
  addInitializer(ctx.model, makeInitializer(name, data, dims));
  while (node.input.length < index) node.input.push('');
  node.input[index] = name;
}
