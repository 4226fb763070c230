/**
 * IEEE 754 binary16 <-> binary32 conversions, bit-exact.
 *
 * ONNX stores FLOAT16 tensors as raw uint16 bit patterns; JavaScript (Node 20)
 * has no Float16Array, so the compiler handles fp16 as `Uint16Array` bits and
 * converts with these helpers. Rounding is round-to-nearest, ties-to-even, the
 * same as numpy's `astype(float16)` and onnxruntime's Cast, so fp16 weights
 * produced here match what other toolchains would produce.
 */

// Scratch views for reading a float32's bit pattern without allocating per call.
const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

/**
 * The binary16 bit pattern nearest to `value` after rounding it to float32
 * (ties to even). Overflow gives ±Infinity, underflow gives ±0 (sign kept),
 * NaN stays NaN (quiet, high payload bits kept).
 *
 * @example
 * float32ToFloat16Bits(1); // 0x3c00
 * float32ToFloat16Bits(65504); // 0x7bff (largest finite half)
 * float32ToFloat16Bits(65520); // 0x7c00 (a tie, rounds to even: +Infinity)
 */
export function float32ToFloat16Bits(value: number): number {
  scratchF32[0] = value;
  const x = scratchU32[0] as number;
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  const mantissa = x & 0x7fffff;

  if (exponent === 0xff) {
    if (mantissa === 0) return sign | 0x7c00; // ±Infinity
    // NaN: keep the top payload bits and force the quiet bit so it cannot become Infinity.
    return sign | 0x7c00 | 0x0200 | (mantissa >>> 13);
  }

  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) return sign | 0x7c00; // too large even before rounding

  if (halfExponent <= 0) {
    // Subnormal half (or zero): value = significand * 2^(exponent - 150); a half
    // subnormal unit is 2^-24, so the result is significand >> (126 - exponent).
    const shift = 126 - exponent;
    if (shift > 24) return sign; // below half of the smallest subnormal: ±0
    const significand = exponent === 0 ? mantissa : mantissa | 0x800000;
    let half = significand >>> shift;
    const remainder = significand & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (remainder > halfway || (remainder === halfway && (half & 1) === 1)) half += 1; // may carry into the smallest normal: correct
    return sign | half;
  }

  let half = sign | (halfExponent << 10) | (mantissa >>> 13);
  const remainder = mantissa & 0x1fff;
  if (remainder > 0x1000 || (remainder === 0x1000 && (half & 1) === 1)) half += 1; // a carry may reach Infinity: correct
  return half;
}

/**
 * The exact value of a binary16 bit pattern (every half is exactly
 * representable as float32 and as a JS number). Subnormals, ±0, ±Infinity
 * and NaN are handled.
 *
 * @example
 * float16BitsToFloat32(0x3c00); // 1
 * float16BitsToFloat32(0x0001); // 5.960464477539063e-8 (smallest subnormal)
 * float16BitsToFloat32(0xfc00); // -Infinity
 */
export function float16BitsToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1024 + mantissa) * 2 ** (exponent - 25);
}

/**
 * Converts many values to binary16 bit patterns (see {@link float32ToFloat16Bits}).
 *
 * @example
 * const bits = float32ArrayToFloat16Bits(new Float32Array([0.5, -2])); // Uint16Array [0x3800, 0xc000]
 */
export function float32ArrayToFloat16Bits(values: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = float32ToFloat16Bits(values[i] as number);
  return out;
}

/**
 * Expands binary16 bit patterns to float32 values (see {@link float16BitsToFloat32}).
 *
 * @example
 * float16BitsToFloat32Array(new Uint16Array([0x3800])); // Float32Array [0.5]
 */
export function float16BitsToFloat32Array(bits: ArrayLike<number>): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = float16BitsToFloat32(bits[i] as number);
  return out;
}
