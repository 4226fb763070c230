import { makeAttrInt, makeAttrString } from '../../onnx/index.js';
import {
  arg,
  requireChannelsLast,
  stringArg,
  type LayerConverter,
  type LayerInfo,
} from '../conversion-context.js';
import { unsupportedArgument } from '../tfjs-errors.js';
import { singleInput } from './core.js';

/** [[a, b], [c, d]] or (n) / (n, m) padding/cropping arguments as [[before, after] per axis]. */
function pairsArg(
  layer: LayerInfo,
  key: string,
  spatial: number,
  fallback: number,
): [number, number][] {
  const raw = arg(layer, key, fallback);
  // ZeroPadding1D/Cropping1D store a flat [before, after] for their single axis.
  const list =
    typeof raw === 'number'
      ? new Array<unknown>(spatial).fill(raw)
      : spatial === 1 && Array.isArray(raw) && raw.length === 2 && typeof raw[0] === 'number'
        ? [raw]
        : raw;
  if (!Array.isArray(list) || list.length !== spatial) throw unsupportedArgument(layer, key, raw);
  const pairs = list.map((p) => (typeof p === 'number' ? [p, p] : p)) as unknown[];
  if (
    !pairs.every(
      (p) =>
        Array.isArray(p) && p.length === 2 && p.every((v) => Number.isSafeInteger(v) && v >= 0),
    )
  ) {
    throw unsupportedArgument(layer, key, raw);
  }
  return pairs as [number, number][];
}

/** ZeroPadding1D/2D: Pad on the NWC/NHWC tensor (batch and channels unpadded). */
function zeroPadding(spatial: number): LayerConverter {
  return (ctx, layer, inputs) => {
    const x = singleInput(layer, inputs);
    requireChannelsLast(layer);
    if (x.rank !== spatial + 2) throw unsupportedArgument(layer, 'input rank', x.rank);
    const pairs = pairsArg(layer, 'padding', spatial, 1);
    const pads = [0, ...pairs.map((p) => p[0]), 0, 0, ...pairs.map((p) => p[1]), 0];
    return [
      { name: ctx.node('Pad', [x.name, ctx.constI64(`${layer.name}_pads`, pads)]), rank: x.rank },
    ];
  };
}

export const convertZeroPadding1D = zeroPadding(1);
export const convertZeroPadding2D = zeroPadding(2);

/** Cropping2D: Slice of the H and W axes; an end crop of 0 slices to the end. */
export const convertCropping2D: LayerConverter = (ctx, layer, inputs) => {
  const x = singleInput(layer, inputs);
  requireChannelsLast(layer);
  if (x.rank !== 4) throw unsupportedArgument(layer, 'input rank', x.rank);
  const pairs = pairsArg(layer, 'cropping', 2, 0);
  const big = Number.MAX_SAFE_INTEGER;
  const starts = ctx.constI64(
    'starts',
    pairs.map((p) => p[0]),
  );
  const ends = ctx.constI64(
    'ends',
    pairs.map((p) => (p[1] === 0 ? big : -p[1])),
  );
  const axes = ctx.constI64('axes', [1, 2]);
  return [{ name: ctx.node('Slice', [x.name, starts, ends, axes]), rank: 4 }];
};

/** UpSampling2D (nearest): Resize with integer scales on H, W; floor/asymmetric is exact repetition. */
export const convertUpSampling2D: LayerConverter = (ctx, layer, inputs) => {
  const x = singleInput(layer, inputs);
  requireChannelsLast(layer);
  if (x.rank !== 4) throw unsupportedArgument(layer, 'input rank', x.rank);
  const interpolation = stringArg(layer, 'interpolation', 'nearest');
  if (interpolation !== 'nearest') throw unsupportedArgument(layer, 'interpolation', interpolation);
  const raw = arg(layer, 'size', [2, 2]);
  const size = typeof raw === 'number' ? [raw, raw] : raw;
  if (
    !Array.isArray(size) ||
    size.length !== 2 ||
    !size.every((s) => Number.isSafeInteger(s) && s >= 1)
  ) {
    throw unsupportedArgument(layer, 'size', raw);
  }
  const scales = ctx.constF32('scales', [1, size[0] as number, size[1] as number, 1], [4]);
  const y = ctx.node(
    'Resize',
    [x.name, '', scales],
    [
      makeAttrString('mode', 'nearest'),
      makeAttrString('coordinate_transformation_mode', 'asymmetric'),
      makeAttrString('nearest_mode', 'floor'),
    ],
  );
  return [{ name: y, rank: 4 }];
};

/** Embedding: Gather rows of the table with the (float or int) indices cast to int64. */
export const convertEmbedding: LayerConverter = (ctx, layer, inputs) => {
  const x = singleInput(layer, inputs);
  if (arg(layer, 'mask_zero', false) !== false)
    throw unsupportedArgument(layer, 'mask_zero', arg(layer, 'mask_zero'));
  const table = ctx.weight(layer, 'embeddings', 2);
  const indices = ctx.node('Cast', [x.name], [makeAttrInt('to', 7)]);
  const y = ctx.node('Gather', [
    ctx.constF32(`${layer.name}_embeddings`, table.data, table.shape),
    indices,
  ]);
  return [{ name: y, rank: x.rank + 1 }];
};
