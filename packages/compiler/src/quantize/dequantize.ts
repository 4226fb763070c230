import { channelLayout, forEachInChannel, type PerChannelAxis } from './channel-layout.js';
import { QuantizeError } from './quantize-errors.js';
import { f32 } from './round.js';

/** The parts of a quantized tensor {@link dequantize} reads. */
export interface QuantizedLike {
  readonly data: Int8Array | Uint8Array;
  readonly scales: Float32Array | readonly number[];
  readonly zeroPoints: ArrayLike<number>;
}

/**
 * ONNX DequantizeLinear: `y = (x - zeroPoint) * scale`, the integer difference is exact and the
 * product is rounded to float32 (onnxruntime computes `float(x - zp) * scale`). One scale means
 * per-tensor; several need `perChannel` (same axis/dims as when quantizing).
 *
 * @throws QuantizeError `EF_COMPILE_QUANT_SHAPE` when the parameter count does not match.
 * @example
 * dequantize({ data: new Uint8Array([128, 130]), scales: [2], zeroPoints: [128] }); // Float32Array [0, 4]
 */
export function dequantize(q: QuantizedLike, perChannel?: PerChannelAxis): Float32Array {
  const out = new Float32Array(q.data.length);
  const count = q.scales.length;
  if (q.zeroPoints.length !== count) {
    throw new QuantizeError(
      'EF_COMPILE_QUANT_SHAPE',
      `${count} scales but ${q.zeroPoints.length} zero points`,
      { scales: count, zeroPoints: q.zeroPoints.length },
    );
  }
  const layout =
    perChannel === undefined
      ? { outer: 1, channels: 1, inner: q.data.length }
      : channelLayout(perChannel, q.data.length);
  if (layout.channels !== count) {
    throw new QuantizeError(
      'EF_COMPILE_QUANT_SHAPE',
      `${count} scales for ${layout.channels} channel(s)`,
      { scales: count, channels: layout.channels },
    );
  }
  for (let c = 0; c < count; c++) {
    const scale = q.scales[c] as number;
    const zeroPoint = q.zeroPoints[c] as number;
    forEachInChannel(layout, c, (i) => {
      out[i] = f32(((q.data[i] as number) - zeroPoint) * scale);
    });
  }
  return out;
}
