import { makeAttrInt, makeAttrInts, makeAttrString } from '../../onnx/index.js';
import {
  arg,
  boolArg,
  intsArg,
  requireChannelsLast,
  stringArg,
  transposeData,
  type ConversionContext,
  type LayerConverter,
  type LayerInfo,
  type TensorRef,
} from '../conversion-context.js';
import { unsupportedArgument } from '../tfjs-errors.js';
import { applyActivation } from './activations.js';
import { singleInput } from './core.js';

/** NHWC/NWC -> NCHW/NCW: ONNX Conv and Pool only take channels first. */
export function toChannelsFirst(ctx: ConversionContext, x: TensorRef): string {
  const perm = [0, x.rank - 1, ...Array.from({ length: x.rank - 2 }, (_, i) => i + 1)];
  return ctx.node('Transpose', [x.name], [makeAttrInts('perm', perm)]);
}

/** NCHW/NCW -> NHWC/NWC, back to the Keras layout right after the op. */
export function toChannelsLast(ctx: ConversionContext, name: string, rank: number): TensorRef {
  const perm = [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2), 1];
  return { name: ctx.node('Transpose', [name], [makeAttrInts('perm', perm)]), rank };
}

/**
 * Padding attributes: `valid` -> none, `same` -> SAME_UPPER (TF puts the odd pad at the end, as
 * SAME_UPPER does), `causal` (Conv1D) -> explicit left pad of dilation * (kernel - 1).
 */
export function paddingAttrs(
  layer: LayerInfo,
  kernel: number[],
  dilation: number[],
  strides: number[],
): ReturnType<typeof makeAttrString>[] {
  const padding = stringArg(layer, 'padding', 'valid');
  if (padding === 'valid') return [];
  if (padding === 'same') {
    // With stride 1 the SAME total pad is dilation * (kernel - 1) whatever the input size, so it
    // is written out (onnxruntime rejects auto_pad together with dilation).
    if (strides.every((s) => s === 1)) {
      const totals = kernel.map((k, i) => (dilation[i] as number) * (k - 1));
      return [
        makeAttrInts('pads', [
          ...totals.map((t) => Math.floor(t / 2)),
          ...totals.map((t) => t - Math.floor(t / 2)),
        ]),
      ];
    }
    if (dilation.some((d) => d !== 1)) throw unsupportedArgument(layer, 'dilation_rate', dilation);
    return [makeAttrString('auto_pad', 'SAME_UPPER')];
  }
  if (padding === 'causal' && kernel.length === 1) {
    return [makeAttrInts('pads', [(dilation[0] as number) * ((kernel[0] as number) - 1), 0])];
  }
  throw unsupportedArgument(layer, 'padding', padding);
}

/** Conv1D / Conv2D: kernel [k..., in, out] -> ONNX [out, in, k...]. */
function convN(spatial: number): LayerConverter {
  return (ctx, layer, inputs) => {
    const x = singleInput(layer, inputs);
    requireChannelsLast(layer);
    if (x.rank !== spatial + 2) throw unsupportedArgument(layer, 'input rank', x.rank);
    const kernel = ctx.weight(layer, 'kernel', spatial + 2);
    const groups = arg(layer, 'groups', 1);
    if (groups !== 1) throw unsupportedArgument(layer, 'groups', groups);
    const ksize = kernel.shape.slice(0, spatial);
    const strides = intsArg(layer, 'strides', spatial, new Array<number>(spatial).fill(1));
    const dilation = intsArg(layer, 'dilation_rate', spatial, new Array<number>(spatial).fill(1));
    const perm = [spatial + 1, spatial, ...Array.from({ length: spatial }, (_, i) => i)];
    const w = transposeData(kernel.data, kernel.shape, perm);
    const wShape = perm.map((p) => kernel.shape[p] as number);
    const convInputs = [toChannelsFirst(ctx, x), ctx.constF32(`${layer.name}_kernel`, w, wShape)];
    if (boolArg(layer, 'use_bias', true)) {
      const bias = ctx.weight(layer, 'bias', 1);
      convInputs.push(ctx.constF32(`${layer.name}_bias`, bias.data, bias.shape));
    }
    const y = ctx.node('Conv', convInputs, [
      makeAttrInts('kernel_shape', ksize),
      makeAttrInts('strides', strides),
      makeAttrInts('dilations', dilation),
      ...paddingAttrs(layer, ksize, dilation, strides),
    ]);
    return [applyActivation(ctx, layer, toChannelsLast(ctx, y, x.rank), arg(layer, 'activation'))];
  };
}

export const convertConv1D = convN(1);
export const convertConv2D = convN(2);

/** Depthwise kernel [kh, kw, in, mult] -> grouped Conv weight [in*mult, 1, kh, kw] (channel c*mult+m). */
function depthwiseWeight(
  data: Float32Array,
  shape: number[],
): { data: Float32Array; shape: number[] } {
  const [kh, kw, cin, mult] = shape as [number, number, number, number];
  return {
    data: transposeData(data, [kh, kw, cin * mult], [2, 0, 1]),
    shape: [cin * mult, 1, kh, kw],
  };
}

/** DepthwiseConv2D and SeparableConv2D (depthwise then 1x1 pointwise). */
function depthwise(separable: boolean): LayerConverter {
  return (ctx, layer, inputs) => {
    const x = singleInput(layer, inputs);
    requireChannelsLast(layer);
    if (x.rank !== 4) throw unsupportedArgument(layer, 'input rank', x.rank);
    const dw = ctx.weight(layer, 'depthwise_kernel', 4);
    const cin = dw.shape[2] as number;
    const ksize = dw.shape.slice(0, 2);
    const strides = intsArg(layer, 'strides', 2, [1, 1]);
    const dilation = intsArg(layer, 'dilation_rate', 2, [1, 1]);
    const w = depthwiseWeight(dw.data, dw.shape);
    const useBias = boolArg(layer, 'use_bias', true);
    const dwInputs = [
      toChannelsFirst(ctx, x),
      ctx.constF32(`${layer.name}_depthwise`, w.data, w.shape),
    ];
    if (useBias && !separable) {
      const bias = ctx.weight(layer, 'bias', 1);
      dwInputs.push(ctx.constF32(`${layer.name}_bias`, bias.data, bias.shape));
    }
    let y = ctx.node('Conv', dwInputs, [
      makeAttrInt('group', cin),
      makeAttrInts('kernel_shape', ksize),
      makeAttrInts('strides', strides),
      makeAttrInts('dilations', dilation),
      ...paddingAttrs(layer, ksize, dilation, strides),
    ]);
    if (separable) {
      const pw = ctx.weight(layer, 'pointwise_kernel', 4);
      const pwShape = [pw.shape[3] as number, pw.shape[2] as number, 1, 1];
      const pwInputs = [
        y,
        ctx.constF32(
          `${layer.name}_pointwise`,
          transposeData(pw.data, pw.shape, [3, 2, 0, 1]),
          pwShape,
        ),
      ];
      if (useBias) {
        const bias = ctx.weight(layer, 'bias', 1);
        pwInputs.push(ctx.constF32(`${layer.name}_bias`, bias.data, bias.shape));
      }
      y = ctx.node('Conv', pwInputs, [makeAttrInts('kernel_shape', [1, 1])]);
    }
    return [applyActivation(ctx, layer, toChannelsLast(ctx, y, 4), arg(layer, 'activation'))];
  };
}

export const convertDepthwiseConv2D = depthwise(false);
export const convertSeparableConv2D = depthwise(true);

/** Conv2DTranspose: Keras kernel [kh, kw, out, in] -> ONNX ConvTranspose weight [in, out, kh, kw]. */
export const convertConv2DTranspose: LayerConverter = (ctx, layer, inputs) => {
  const x = singleInput(layer, inputs);
  requireChannelsLast(layer);
  if (x.rank !== 4) throw unsupportedArgument(layer, 'input rank', x.rank);
  const kernel = ctx.weight(layer, 'kernel', 4);
  const ksize = kernel.shape.slice(0, 2);
  const strides = intsArg(layer, 'strides', 2, [1, 1]);
  const dilation = intsArg(layer, 'dilation_rate', 2, [1, 1]);
  if (dilation.some((d) => d !== 1))
    throw unsupportedArgument(layer, 'dilation_rate', arg(layer, 'dilation_rate'));
  if (arg(layer, 'output_padding') !== undefined)
    throw unsupportedArgument(layer, 'output_padding', arg(layer, 'output_padding'));
  const wShape = [kernel.shape[3], kernel.shape[2], kernel.shape[0], kernel.shape[1]] as number[];
  const convInputs = [
    toChannelsFirst(ctx, x),
    ctx.constF32(
      `${layer.name}_kernel`,
      transposeData(kernel.data, kernel.shape, [3, 2, 0, 1]),
      wShape,
    ),
  ];
  if (boolArg(layer, 'use_bias', true)) {
    const bias = ctx.weight(layer, 'bias', 1);
    convInputs.push(ctx.constF32(`${layer.name}_bias`, bias.data, bias.shape));
  }
  const y = ctx.node('ConvTranspose', convInputs, [
    makeAttrInts('kernel_shape', ksize),
    makeAttrInts('strides', strides),
    // ConvTranspose keeps auto_pad: its explicit pads would depend on the input size.
    ...(stringArg(layer, 'padding', 'valid') === 'same'
      ? [makeAttrString('auto_pad', 'SAME_UPPER')]
      : paddingAttrs(layer, ksize, dilation, strides)),
  ]);
  return [applyActivation(ctx, layer, toChannelsLast(ctx, y, 4), arg(layer, 'activation'))];
};
