import type { LayerInfo } from './conversion-context.js';

/** A Keras shape with the batch axis first; `null` is a size not known before run time. */
export type KerasShape = (number | null)[];

// Layers whose output shape equals their (first) input shape.
const SAME_SHAPE = new Set([
  'Activation',
  'ReLU',
  'LeakyReLU',
  'ELU',
  'PReLU',
  'Softmax',
  'Dropout',
  'SpatialDropout1D',
  'SpatialDropout2D',
  'GaussianNoise',
  'GaussianDropout',
  'AlphaDropout',
  'BatchNormalization',
  'LayerNormalization',
  'Add',
  'Subtract',
  'Multiply',
  'Average',
  'Maximum',
  'Minimum',
]);

function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isSafeInteger(value) ? value : null;
}

function list(value: unknown, n: number, fallback: number): number[] {
  if (typeof value === 'number') return new Array<number>(n).fill(value);
  if (Array.isArray(value) && value.length === n && value.every((v) => typeof v === 'number'))
    return value as number[];
  return new Array<number>(n).fill(fallback);
}

/** Spatial output size of a conv/pool window, Keras' conv_output_length; null when unknown. */
function windowed(
  size: number | null,
  k: number,
  stride: number,
  dilation: number,
  padding: unknown,
): number | null {
  if (size === null) return null;
  const span = dilation * (k - 1) + 1;
  if (padding === 'same' || padding === 'causal') return Math.ceil(size / stride);
  return Math.floor((size - span) / stride) + 1;
}

function product(dims: KerasShape): number | null {
  let p = 1;
  for (const d of dims) {
    if (d === null) return null;
    p *= d;
  }
  return p;
}

/**
 * The static output shape of a layer call from its input shapes, so the ONNX outputs declare
 * sizes the pipeline needs (the class count of a classifier). Sizes not derivable stay null;
 * a wrong size is never guessed (tests compare every declared size with onnxruntime's output).
 *
 * @example
 * layerOutputShape({ name: 'fc', className: 'Dense', config: { units: 5 }, weightScope: 'fc' }, [[null, 8]], 2); // [null, 5]
 */
export function layerOutputShape(layer: LayerInfo, inputs: KerasShape[], rank: number): KerasShape {
  const unknown = (): KerasShape => new Array<number | null>(rank).fill(null);
  const x = inputs[0];
  if (x === undefined) return unknown();
  const c = layer.config;
  const result = ((): KerasShape | undefined => {
    if (SAME_SHAPE.has(layer.className)) return [...x];
    switch (layer.className) {
      case 'Dense':
        return [...x.slice(0, -1), num(c.units)];
      case 'Flatten':
        return [x[0] ?? null, product(x.slice(1))];
      case 'Reshape': {
        const target = (c.target_shape as number[]).map((d) => (d === -1 ? null : d));
        const known = product(target.filter((d) => d !== null));
        const total = product(x.slice(1));
        if (target.includes(null) && known !== null && total !== null)
          return [x[0] ?? null, ...target.map((d) => d ?? total / known)];
        return [x[0] ?? null, ...target];
      }
      case 'Permute':
        return [x[0] ?? null, ...(c.dims as number[]).map((d) => x[d] ?? null)];
      case 'RepeatVector':
        return [x[0] ?? null, num(c.n), x[1] ?? null];
      case 'Concatenate': {
        const axis = (num(c.axis) ?? -1) < 0 ? rank + (num(c.axis) ?? -1) : (num(c.axis) as number);
        const out = [...x];
        const sizes = inputs.map((s) => s[axis] ?? null);
        out[axis] = sizes.includes(null) ? null : (sizes as number[]).reduce((a, b) => a + b, 0);
        return out;
      }
      case 'Dot':
        if (rank === 2) return [x[0] ?? null, 1];
        return undefined;
      case 'Conv1D':
      case 'Conv2D':
      case 'DepthwiseConv2D':
      case 'SeparableConv2D':
      case 'MaxPooling1D':
      case 'MaxPooling2D':
      case 'AveragePooling1D':
      case 'AveragePooling2D': {
        const n = rank - 2;
        const pool = layer.className.includes('Pooling');
        const k = list(pool ? c.pool_size : c.kernel_size, n, 2);
        const s = list(c.strides ?? (pool ? c.pool_size : 1), n, pool ? 2 : 1);
        const d = list(c.dilation_rate, n, 1);
        const spatial = x
          .slice(1, 1 + n)
          .map((size, i) =>
            windowed(size, k[i] as number, s[i] as number, d[i] as number, c.padding ?? 'valid'),
          );
        const channels = pool
          ? (x[rank - 1] ?? null)
          : layer.className === 'DepthwiseConv2D'
            ? (x[rank - 1] ?? null) === null
              ? null
              : (x[rank - 1] as number) * (num(c.depth_multiplier) ?? 1)
            : num(c.filters);
        return [x[0] ?? null, ...spatial, channels];
      }
      case 'Conv2DTranspose': {
        const k = list(c.kernel_size, 2, 1);
        const s = list(c.strides, 2, 1);
        const spatial = [x[1] ?? null, x[2] ?? null].map((size, i) =>
          size === null
            ? null
            : c.padding === 'same'
              ? size * (s[i] as number)
              : (size - 1) * (s[i] as number) + (k[i] as number),
        );
        return [x[0] ?? null, ...spatial, num(c.filters)];
      }
      case 'GlobalAveragePooling1D':
      case 'GlobalAveragePooling2D':
      case 'GlobalMaxPooling1D':
      case 'GlobalMaxPooling2D':
        return rank === 2 ? [x[0] ?? null, x[x.length - 1] ?? null] : undefined;
      case 'Embedding':
        return [...x, num(c.output_dim)];
      case 'SimpleRNN':
      case 'LSTM':
      case 'GRU':
        return rank === 3
          ? [x[0] ?? null, x[1] ?? null, num(c.units)]
          : [x[0] ?? null, num(c.units)];
      case 'Bidirectional': {
        const innerConfig =
          (c.layer as { config?: Record<string, unknown> } | undefined)?.config ?? {};
        const units = num(innerConfig.units);
        const size =
          units === null ? null : (c.merge_mode ?? 'concat') === 'concat' ? 2 * units : units;
        return rank === 3 ? [x[0] ?? null, x[1] ?? null, size] : [x[0] ?? null, size];
      }
      default:
        return undefined;
    }
  })();
  return result !== undefined && result.length === rank ? result : unknown();
}
