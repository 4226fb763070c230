import { makeAttrInt, makeAttrInts } from '../../onnx/index.js';
import {
  arg,
  boolArg,
  normalizeAxis,
  numberArg,
  type LayerConverter,
  type LayerInfo,
} from '../conversion-context.js';
import { unsupportedArgument } from '../tfjs-errors.js';
import { singleInput } from './core.js';

/** Shape that puts a per-channel vector of length `c` on `axis` of a rank-`rank` tensor. */
function channelShape(c: number, axis: number, rank: number): number[] {
  return [c, ...new Array<number>(rank - axis - 1).fill(1)];
}

function axesArg(layer: LayerInfo, rank: number): number[] {
  const raw = arg(layer, 'axis', -1);
  const list = Array.isArray(raw) ? raw : [raw];
  if (list.length === 0 || !list.every((a) => typeof a === 'number'))
    throw unsupportedArgument(layer, 'axis', raw);
  return (list as number[]).map((a) => normalizeAxis(layer, 'axis', a, rank)).sort((a, b) => a - b);
}

/**
 * `BatchNormalization` at inference: y = x * scale + shift with scale = gamma / sqrt(var + eps)
 * and shift = beta - mean * scale, folded in float64 here (what the simplifier would do anyway).
 */
export const convertBatchNormalization: LayerConverter = (ctx, layer, inputs) => {
  const x = singleInput(layer, inputs);
  const axes = axesArg(layer, x.rank);
  // Only the channels-last axis: for other axes tfjs-layers' own inference output disagrees with
  // the textbook formula in our tests, so there is no trustworthy reference to match.
  if (axes.length !== 1 || axes[0] !== x.rank - 1 || x.rank < 2) {
    throw unsupportedArgument(layer, 'axis', arg(layer, 'axis'));
  }
  const axis = axes[0] as number;
  const eps = numberArg(layer, 'epsilon', 1e-3);
  const mean = ctx.weight(layer, 'moving_mean', 1);
  const variance = ctx.weight(layer, 'moving_variance', 1);
  const gamma = boolArg(layer, 'scale', true) ? ctx.weight(layer, 'gamma', 1) : undefined;
  const beta = boolArg(layer, 'center', true) ? ctx.weight(layer, 'beta', 1) : undefined;
  const c = mean.data.length;
  const scale = new Float32Array(c);
  const shift = new Float32Array(c);
  for (let i = 0; i < c; i++) {
    const s = (gamma?.data[i] ?? 1) / Math.sqrt((variance.data[i] as number) + eps);
    scale[i] = s;
    shift[i] = (beta?.data[i] ?? 0) - (mean.data[i] as number) * s;
  }
  const shape = channelShape(c, axis, x.rank);
  const scaled = ctx.node('Mul', [x.name, ctx.constF32(`${layer.name}_scale`, scale, shape)]);
  return [
    {
      name: ctx.node('Add', [scaled, ctx.constF32(`${layer.name}_shift`, shift, shape)]),
      rank: x.rank,
    },
  ];
};

/**
 * `LayerNormalization` (opset 13 has no LayerNormalization op): mean and biased variance over
 * `axis`, then (x - mean) / sqrt(var + eps) * gamma + beta, as tfjs-layers computes it.
 */
export const convertLayerNormalization: LayerConverter = (ctx, layer, inputs) => {
  const x = singleInput(layer, inputs);
  const axes = axesArg(layer, x.rank);
  if (axes.includes(0)) throw unsupportedArgument(layer, 'axis', arg(layer, 'axis'));
  // Keras 3 RMS scaling skips the centering: a different formula.
  if (boolArg(layer, 'rms_scaling', false)) throw unsupportedArgument(layer, 'rms_scaling', true);
  const eps = numberArg(layer, 'epsilon', 1e-3);
  const reduce = [makeAttrInts('axes', axes), makeAttrInt('keepdims', 1)];
  const mean = ctx.node('ReduceMean', [x.name], reduce);
  const centered = ctx.node('Sub', [x.name, mean]);
  const variance = ctx.node('ReduceMean', [ctx.node('Mul', [centered, centered])], reduce);
  const std = ctx.node('Sqrt', [ctx.node('Add', [variance, ctx.constF32('eps', [eps], [])])]);
  let y = ctx.node('Div', [centered, std]);
  // gamma/beta have the shape of the normalized axes; reshape so they broadcast from the right.
  const paramShape = (w: { shape: number[] }): number[] => {
    const dims: number[] = [];
    let k = 0;
    for (let a = axes[0] as number; a < x.rank; a++)
      dims.push(axes.includes(a) ? (w.shape[k++] ?? 1) : 1);
    return dims;
  };
  if (boolArg(layer, 'scale', true)) {
    const gamma = ctx.findWeight(layer.weightScope, 'gamma');
    if (gamma === undefined) throw unsupportedArgument(layer, 'scale', true);
    y = ctx.node('Mul', [y, ctx.constF32(`${layer.name}_gamma`, gamma.data, paramShape(gamma))]);
  }
  if (boolArg(layer, 'center', true)) {
    const beta = ctx.findWeight(layer.weightScope, 'beta');
    if (beta === undefined) throw unsupportedArgument(layer, 'center', true);
    y = ctx.node('Add', [y, ctx.constF32(`${layer.name}_beta`, beta.data, paramShape(beta))]);
  }
  return [{ name: y, rank: x.rank }];
};
