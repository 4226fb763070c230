import { makeAttrInt, makeAttrInts } from '../../onnx/index.js';
import {
  arg,
  boolArg,
  normalizeAxis,
  type ConversionContext,
  type LayerConverter,
  type LayerInfo,
  type TensorRef,
} from '../conversion-context.js';
import { unsupportedArgument } from '../tfjs-errors.js';

function atLeastTwo(layer: LayerInfo, inputs: TensorRef[]): TensorRef[] {
  if (inputs.length < 2) throw unsupportedArgument(layer, 'inputs', inputs.length);
  return inputs;
}

function rankOf(inputs: TensorRef[]): number {
  return Math.max(...inputs.map((t) => t.rank));
}

/** Left fold with a binary op (Add, Mul) over the inputs. */
function fold(ctx: ConversionContext, op: string, inputs: TensorRef[]): string {
  let acc = (inputs[0] as TensorRef).name;
  for (const t of inputs.slice(1)) acc = ctx.node(op, [acc, t.name]);
  return acc;
}

export const convertAdd: LayerConverter = (ctx, layer, inputs) => {
  const xs = atLeastTwo(layer, inputs);
  return [{ name: fold(ctx, 'Add', xs), rank: rankOf(xs) }];
};

export const convertMultiply: LayerConverter = (ctx, layer, inputs) => {
  const xs = atLeastTwo(layer, inputs);
  return [{ name: fold(ctx, 'Mul', xs), rank: rankOf(xs) }];
};

export const convertSubtract: LayerConverter = (ctx, layer, inputs) => {
  const [a, b] = inputs;
  if (a === undefined || b === undefined || inputs.length !== 2)
    throw unsupportedArgument(layer, 'inputs', inputs.length);
  return [{ name: ctx.node('Sub', [a.name, b.name]), rank: rankOf(inputs) }];
};

export const convertAverage: LayerConverter = (ctx, layer, inputs) => {
  const xs = atLeastTwo(layer, inputs);
  const sum = fold(ctx, 'Add', xs);
  return [
    { name: ctx.node('Div', [sum, ctx.constF32('count', [xs.length], [])]), rank: rankOf(xs) },
  ];
};

export const convertMaximum: LayerConverter = (ctx, layer, inputs) => {
  const xs = atLeastTwo(layer, inputs);
  return [
    {
      name: ctx.node(
        'Max',
        xs.map((t) => t.name),
      ),
      rank: rankOf(xs),
    },
  ];
};

export const convertMinimum: LayerConverter = (ctx, layer, inputs) => {
  const xs = atLeastTwo(layer, inputs);
  return [
    {
      name: ctx.node(
        'Min',
        xs.map((t) => t.name),
      ),
      rank: rankOf(xs),
    },
  ];
};

export const convertConcatenate: LayerConverter = (ctx, layer, inputs) => {
  const xs = atLeastTwo(layer, inputs);
  const rank = rankOf(xs);
  const axis = normalizeAxis(layer, 'axis', Number(arg(layer, 'axis', -1)), rank);
  if (axis === 0) throw unsupportedArgument(layer, 'axis', arg(layer, 'axis'));
  return [
    {
      name: ctx.node(
        'Concat',
        xs.map((t) => t.name),
        [makeAttrInt('axis', axis)],
      ),
      rank,
    },
  ];
};

/**
 * `Dot(axes)` for rank-2 ([b, d]·[b, d] -> [b, 1]) and rank-3 inputs (batched MatMul with the
 * contracted axes moved into place); `normalize=true` is rejected.
 */
export const convertDot: LayerConverter = (ctx, layer, inputs) => {
  const [a, b] = inputs;
  if (a === undefined || b === undefined || inputs.length !== 2)
    throw unsupportedArgument(layer, 'inputs', inputs.length);
  if (boolArg(layer, 'normalize', false)) throw unsupportedArgument(layer, 'normalize', true);
  const raw = arg(layer, 'axes');
  const pair = typeof raw === 'number' ? [raw, raw] : raw;
  if (
    !Array.isArray(pair) ||
    pair.length !== 2 ||
    a.rank !== b.rank ||
    (a.rank !== 2 && a.rank !== 3)
  ) {
    throw unsupportedArgument(layer, 'axes', raw);
  }
  const axA = normalizeAxis(layer, 'axes', Number(pair[0]), a.rank);
  const axB = normalizeAxis(layer, 'axes', Number(pair[1]), b.rank);
  if (axA === 0 || axB === 0) throw unsupportedArgument(layer, 'axes', raw);
  if (a.rank === 2) {
    const product = ctx.node('Mul', [a.name, b.name]);
    const sum = ctx.node(
      'ReduceSum',
      [product, ctx.constI64('axes', [1])],
      [makeAttrInt('keepdims', 1)],
    );
    return [{ name: sum, rank: 2 }];
  }
  const swap = [makeAttrInts('perm', [0, 2, 1])];
  // Keras batch_dot keeps a's free axis first, then b's: out[b, i, j] = sum_k a'[b, i, k] b'[b, k, j].
  const left = axA === 2 ? a.name : ctx.node('Transpose', [a.name], swap);
  const right = axB === 1 ? b.name : ctx.node('Transpose', [b.name], swap);
  return [{ name: ctx.node('MatMul', [left, right]), rank: 3 }];
};
