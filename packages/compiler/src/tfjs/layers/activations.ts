import { makeAttrFloat, makeAttrInt } from '../../onnx/index.js';
import {
  arg,
  numberArg,
  normalizeAxis,
  type ConversionContext,
  type LayerConverter,
  type LayerInfo,
  type TensorRef,
} from '../conversion-context.js';
import { unsupportedArgument } from '../tfjs-errors.js';

// Keras' SELU constants (keras/activations.py, tfjs-layers K.selu), written out in full so the
// float32 attribute is the nearest float to Keras' float64 value.
const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;

/** TF.js writes `hardSigmoid`, Keras writes `hard_sigmoid`: compare in snake_case. */
function snakeCase(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

/**
 * Emits a Keras activation by name on `x` (last axis for softmax, as Keras does).
 *
 * @example
 * const y = applyActivation(ctx, layer, x, 'hard_sigmoid'); // ONNX HardSigmoid(alpha 0.2, beta 0.5)
 */
export function applyActivation(
  ctx: ConversionContext,
  layer: LayerInfo,
  x: TensorRef,
  activation: unknown,
  argument = 'activation',
): TensorRef {
  const value = activation ?? 'linear';
  if (typeof value !== 'string') throw unsupportedArgument(layer, argument, value);
  const one = (op: string, attrs = [] as ReturnType<typeof makeAttrFloat>[]): TensorRef => ({
    name: ctx.node(op, [x.name], attrs),
    rank: x.rank,
  });
  switch (snakeCase(value)) {
    case 'linear':
      return x;
    case 'relu':
      return one('Relu');
    case 'relu6':
      return clip(ctx, x, 0, 6);
    case 'elu':
      return one('Elu', [makeAttrFloat('alpha', 1)]);
    case 'selu':
      return one('Selu', [makeAttrFloat('alpha', SELU_ALPHA), makeAttrFloat('gamma', SELU_SCALE)]);
    case 'sigmoid':
      return one('Sigmoid');
    case 'hard_sigmoid':
      // Keras and TF.js: clip(0.2 x + 0.5, 0, 1) == ONNX HardSigmoid(alpha 0.2, beta 0.5).
      return one('HardSigmoid', [makeAttrFloat('alpha', 0.2), makeAttrFloat('beta', 0.5)]);
    case 'tanh':
      return one('Tanh');
    case 'softmax':
      return { name: ctx.node('Softmax', [x.name], [makeAttrInt('axis', -1)]), rank: x.rank };
    case 'softplus':
      return one('Softplus');
    case 'softsign':
      return one('Softsign');
    case 'swish':
      // TF.js Swish: x * sigmoid(x).
      return { name: ctx.node('Mul', [x.name, ctx.node('Sigmoid', [x.name])]), rank: x.rank };
    case 'mish': {
      const sp = ctx.node('Softplus', [x.name]);
      return { name: ctx.node('Mul', [x.name, ctx.node('Tanh', [sp])]), rank: x.rank };
    }
    case 'gelu': {
      // TF.js Gelu (activations.js) is the exact erf form: 0.5 x (1 + erf(x / sqrt 2)).
      const scaled = ctx.node('Div', [x.name, ctx.constF32('sqrt2', [Math.SQRT2], [])]);
      const cdf = ctx.node('Add', [ctx.node('Erf', [scaled]), ctx.constF32('one', [1], [])]);
      const half = ctx.node('Mul', [x.name, ctx.constF32('half', [0.5], [])]);
      return { name: ctx.node('Mul', [half, cdf]), rank: x.rank };
    }
    case 'gelu_new': {
      // TF.js GeluNew: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
      const cube = ctx.node('Mul', [x.name, ctx.node('Mul', [x.name, x.name])]);
      const inner = ctx.node('Add', [
        x.name,
        ctx.node('Mul', [cube, ctx.constF32('c', [0.044715], [])]),
      ]);
      const t = ctx.node('Tanh', [
        ctx.node('Mul', [inner, ctx.constF32('k', [Math.sqrt(2 / Math.PI)], [])]),
      ]);
      const half = ctx.node('Mul', [x.name, ctx.constF32('half', [0.5], [])]);
      return {
        name: ctx.node('Mul', [half, ctx.node('Add', [t, ctx.constF32('one', [1], [])])]),
        rank: x.rank,
      };
    }
    default:
      throw unsupportedArgument(layer, argument, value);
  }
}

/** Clip(x, min, max) with opset-13 tensor bounds. */
export function clip(ctx: ConversionContext, x: TensorRef, min: number, max?: number): TensorRef {
  const inputs = [x.name, ctx.constF32('clip_min', [min], [])];
  if (max !== undefined) inputs.push(ctx.constF32('clip_max', [max], []));
  return { name: ctx.node('Clip', inputs), rank: x.rank };
}

function single(layer: LayerInfo, inputs: TensorRef[]): TensorRef {
  const [x] = inputs;
  if (x === undefined || inputs.length !== 1)
    throw unsupportedArgument(layer, 'inputs', inputs.length);
  return x;
}

/** `Activation(activation)`. */
export const convertActivation: LayerConverter = (ctx, layer, inputs) => [
  applyActivation(ctx, layer, single(layer, inputs), arg(layer, 'activation')),
];

/** `ReLU(max_value, negative_slope, threshold)`: plain or capped ReLU only. */
export const convertReLU: LayerConverter = (ctx, layer, inputs) => {
  const x = single(layer, inputs);
  if (numberArg(layer, 'negative_slope', 0) !== 0)
    throw unsupportedArgument(layer, 'negative_slope', arg(layer, 'negative_slope'));
  if (numberArg(layer, 'threshold', 0) !== 0)
    throw unsupportedArgument(layer, 'threshold', arg(layer, 'threshold'));
  const maxValue = arg(layer, 'max_value');
  if (maxValue === undefined) return [{ name: ctx.node('Relu', [x.name]), rank: x.rank }];
  return [clip(ctx, x, 0, numberArg(layer, 'max_value'))];
};

/** `LeakyReLU(alpha)`; TF.js and Keras 2 default alpha is 0.3. */
export const convertLeakyReLU: LayerConverter = (ctx, layer, inputs) => {
  const x = single(layer, inputs);
  const alpha = numberArg(layer, 'alpha', 0.3);
  return [{ name: ctx.node('LeakyRelu', [x.name], [makeAttrFloat('alpha', alpha)]), rank: x.rank }];
};

/** `ELU(alpha)`. */
export const convertELU: LayerConverter = (ctx, layer, inputs) => {
  const x = single(layer, inputs);
  const alpha = numberArg(layer, 'alpha', 1);
  return [{ name: ctx.node('Elu', [x.name], [makeAttrFloat('alpha', alpha)]), rank: x.rank }];
};

/** `PReLU`: alpha has the input shape without batch (1 on shared axes), which broadcasts as is. */
export const convertPReLU: LayerConverter = (ctx, layer, inputs) => {
  const x = single(layer, inputs);
  const alpha = ctx.weight(layer, 'alpha', x.rank - 1);
  const slope = ctx.constF32(`${layer.name}_alpha`, alpha.data, alpha.shape);
  return [{ name: ctx.node('PRelu', [x.name, slope]), rank: x.rank }];
};

/** `Softmax(axis)`: ONNX 13 Softmax normalizes along one axis, as Keras does. */
export const convertSoftmax: LayerConverter = (ctx, layer, inputs) => {
  const x = single(layer, inputs);
  let axis = arg(layer, 'axis', -1);
  if (Array.isArray(axis) && axis.length === 1) axis = axis[0];
  if (typeof axis !== 'number') throw unsupportedArgument(layer, 'axis', axis);
  const resolved = normalizeAxis(layer, 'axis', axis, x.rank);
  return [{ name: ctx.node('Softmax', [x.name], [makeAttrInt('axis', resolved)]), rank: x.rank }];
};
