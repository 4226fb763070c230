import { makeAttrInt, makeAttrInts } from '../../onnx/index.js';
import {
  arg,
  boolArg,
  intsArg,
  requireChannelsLast,
  type LayerConverter,
} from '../conversion-context.js';
import { unsupportedArgument } from '../tfjs-errors.js';
import { paddingAttrs, toChannelsFirst, toChannelsLast } from './convolution.js';
import { singleInput } from './core.js';

/** MaxPooling / AveragePooling 1D and 2D; TF's `same` average excludes padding (count_include_pad 0). */
function pool(op: 'MaxPool' | 'AveragePool', spatial: number): LayerConverter {
  return (ctx, layer, inputs) => {
    const x = singleInput(layer, inputs);
    requireChannelsLast(layer);
    if (x.rank !== spatial + 2) throw unsupportedArgument(layer, 'input rank', x.rank);
    // tfjs-layers writes pool_size/strides as lists; Keras 1D layers may write plain integers.
    const size = intsArg(layer, 'pool_size', spatial, new Array<number>(spatial).fill(2));
    const strides = intsArg(layer, 'strides', spatial, size);
    if (arg(layer, 'padding', 'valid') === 'causal')
      throw unsupportedArgument(layer, 'padding', 'causal');
    const y = ctx.node(
      op,
      [toChannelsFirst(ctx, x)],
      [
        makeAttrInts('kernel_shape', size),
        makeAttrInts('strides', strides),
        ...paddingAttrs(
          layer,
          size,
          size.map(() => 1),
          strides,
        ),
      ],
    );
    return [toChannelsLast(ctx, y, x.rank)];
  };
}

export const convertMaxPooling1D = pool('MaxPool', 1);
export const convertMaxPooling2D = pool('MaxPool', 2);
export const convertAveragePooling1D = pool('AveragePool', 1);
export const convertAveragePooling2D = pool('AveragePool', 2);

/** Global pooling reduces the spatial axes of the NHWC/NWC tensor directly: no Transpose needed. */
function globalPool(op: 'ReduceMean' | 'ReduceMax', spatial: number): LayerConverter {
  return (ctx, layer, inputs) => {
    const x = singleInput(layer, inputs);
    requireChannelsLast(layer);
    if (x.rank !== spatial + 2) throw unsupportedArgument(layer, 'input rank', x.rank);
    const keepdims = boolArg(layer, 'keepdims', false);
    const axes = Array.from({ length: spatial }, (_, i) => i + 1);
    const y = ctx.node(
      op,
      [x.name],
      [makeAttrInts('axes', axes), makeAttrInt('keepdims', keepdims ? 1 : 0)],
    );
    return [{ name: y, rank: keepdims ? x.rank : 2 }];
  };
}

export const convertGlobalAveragePooling1D = globalPool('ReduceMean', 1);
export const convertGlobalAveragePooling2D = globalPool('ReduceMean', 2);
export const convertGlobalMaxPooling1D = globalPool('ReduceMax', 1);
export const convertGlobalMaxPooling2D = globalPool('ReduceMax', 2);
