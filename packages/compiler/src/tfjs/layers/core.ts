import { makeAttrInt, makeAttrInts } from '../../onnx/index.js';
import {
  arg,
  boolArg,
  type LayerConverter,
  type LayerInfo,
  type TensorRef,
} from '../conversion-context.js';
import { unsupportedArgument } from '../tfjs-errors.js';
import { applyActivation } from './activations.js';

/** The one input of a single-input layer. */
export function singleInput(layer: LayerInfo, inputs: TensorRef[]): TensorRef {
  const [x] = inputs;
  if (x === undefined || inputs.length !== 1)
    throw unsupportedArgument(layer, 'inputs', inputs.length);
  return x;
}

/** `Dense`: MatMul on the last axis (works for any rank, as Keras Dense does), bias, activation. */
export const convertDense: LayerConverter = (ctx, layer, inputs) => {
  const x = singleInput(layer, inputs);
  const kernel = ctx.weight(layer, 'kernel', 2);
  let y: TensorRef = {
    name: ctx.node('MatMul', [
      x.name,
      ctx.constF32(`${layer.name}_kernel`, kernel.data, kernel.shape),
    ]),
    rank: x.rank,
  };
  if (boolArg(layer, 'use_bias', true)) {
    const bias = ctx.weight(layer, 'bias', 1);
    y = {
      name: ctx.node('Add', [y.name, ctx.constF32(`${layer.name}_bias`, bias.data, bias.shape)]),
      rank: x.rank,
    };
  }
  return [applyActivation(ctx, layer, y, arg(layer, 'activation'))];
};

/** Dropout, SpatialDropout, GaussianNoise, GaussianDropout, ActivityRegularization: identity at inference. */
export const convertIdentity: LayerConverter = (_ctx, layer, inputs) => [
  singleInput(layer, inputs),
];

/** `Flatten`: Keras flattens in its own (channels-last) order, which the graph keeps. */
export const convertFlatten: LayerConverter = (ctx, layer, inputs) => {
  const x = singleInput(layer, inputs);
  if (arg(layer, 'data_format', 'channels_last') !== 'channels_last') {
    throw unsupportedArgument(layer, 'data_format', arg(layer, 'data_format'));
  }
  return [{ name: ctx.node('Flatten', [x.name], [makeAttrInt('axis', 1)]), rank: 2 }];
};

/** `Reshape(target_shape)`: batch kept with ONNX's 0 (copy) dimension. */
export const convertReshape: LayerConverter = (ctx, layer, inputs) => {
  const x = singleInput(layer, inputs);
  const target = arg(layer, 'target_shape');
  if (
    !Array.isArray(target) ||
    !target.every((d) => Number.isSafeInteger(d) && (d === -1 || d > 0))
  ) {
    throw unsupportedArgument(layer, 'target_shape', target);
  }
  const shape = ctx.constI64(`${layer.name}_shape`, [0, ...(target as number[])]);
  return [{ name: ctx.node('Reshape', [x.name, shape]), rank: target.length + 1 }];
};

/** `Permute(dims)`: 1-based dims without batch -> Transpose perm with batch first. */
export const convertPermute: LayerConverter = (ctx, layer, inputs) => {
  const x = singleInput(layer, inputs);
  const dims = arg(layer, 'dims');
  if (
    !Array.isArray(dims) ||
    dims.length !== x.rank - 1 ||
    [...dims].sort((a, b) => Number(a) - Number(b)).some((d, i) => d !== i + 1)
  ) {
    throw unsupportedArgument(layer, 'dims', dims);
  }
  return [
    {
      name: ctx.node('Transpose', [x.name], [makeAttrInts('perm', [0, ...(dims as number[])])]),
      rank: x.rank,
    },
  ];
};

/** `RepeatVector(n)`: [b, d] -> [b, n, d] by Unsqueeze + Tile. */
export const convertRepeatVector: LayerConverter = (ctx, layer, inputs) => {
  const x = singleInput(layer, inputs);
  const n = arg(layer, 'n');
  if (!Number.isSafeInteger(n) || (n as number) < 1 || x.rank !== 2)
    throw unsupportedArgument(layer, 'n', n);
  const expanded = ctx.node('Unsqueeze', [x.name, ctx.constI64('axes', [1])]);
  return [
    { name: ctx.node('Tile', [expanded, ctx.constI64('repeats', [1, n as number, 1])]), rank: 3 },
  ];
};
