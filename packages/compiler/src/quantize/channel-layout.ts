import { QuantizeError } from './quantize-errors.js';

/** Where a per-channel axis sits in a row-major tensor. */
export interface PerChannelAxis {
  /** The channel axis; negative counts from the end (ONNX `axis` convention). */
  readonly axis: number;
  /** The tensor dims (row-major), e.g. MatMul weight [K, N] (axis 1), Conv weight [M, C/g, kH, kW] (axis 0). */
  readonly dims: readonly number[];
}

/**
 * A row-major tensor seen as [outer, channels, inner]: element (o, c, i) is at
 * `(o * channels + c) * inner + i`.
 */
export interface ChannelLayout {
  readonly outer: number;
  readonly channels: number;
  readonly inner: number;
}

/**
 * Splits `dims` around the channel axis and checks it against the element count.
 *
 * @throws QuantizeError `EF_COMPILE_QUANT_SHAPE` for a bad axis, bad dims, or a length mismatch.
 * @example
 * channelLayout({ axis: 1, dims: [4, 3] }, 12); // { outer: 4, channels: 3, inner: 1 }
 */
export function channelLayout(spec: PerChannelAxis, length: number): ChannelLayout {
  const { dims } = spec;
  const rank = dims.length;
  if (!Number.isInteger(spec.axis) || spec.axis < -rank || spec.axis >= rank) {
    throw new QuantizeError(
      'EF_COMPILE_QUANT_SHAPE',
      `axis ${spec.axis} is out of range for rank ${rank}`,
      {
        axis: spec.axis,
        dims: [...dims],
      },
    );
  }
  const axis = spec.axis < 0 ? spec.axis + rank : spec.axis;
  let outer = 1;
  let inner = 1;
  dims.forEach((d, i) => {
    if (!Number.isInteger(d) || d < 0) {
      throw new QuantizeError(
        'EF_COMPILE_QUANT_SHAPE',
        `dim ${i} is not a non-negative integer: ${d}`,
        {
          dims: [...dims],
        },
      );
    }
    if (i < axis) outer *= d;
    if (i > axis) inner *= d;
  });
  const channels = dims[axis] ?? 0;
  if (outer * channels * inner !== length) {
    throw new QuantizeError(
      'EF_COMPILE_QUANT_SHAPE',
      `dims [${dims.join(', ')}] hold ${outer * channels * inner} elements but the data has ${length}`,
      { dims: [...dims], length },
    );
  }
  return { outer, channels, inner };
}

/**
 * Calls `visit(index)` for every element of channel `c`, in memory order.
 *
 * @example
 * forEachInChannel({ outer: 2, channels: 3, inner: 1 }, 1, (i) => console.log(i)); // 1, 4
 */
export function forEachInChannel(
  layout: ChannelLayout,
  c: number,
  visit: (index: number) => void,
): void {
  const { outer, channels, inner } = layout;
  for (let o = 0; o < outer; o++) {
    const base = (o * channels + c) * inner;
    for (let i = 0; i < inner; i++) visit(base + i);
  }
}
