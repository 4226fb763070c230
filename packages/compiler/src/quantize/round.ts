/**
 * Rounds to the nearest integer, ties to the even neighbour (IEEE 754 roundTiesToEven).
 *
 * This is the rounding the ONNX QuantizeLinear/DynamicQuantizeLinear specs require ("rounding to
 * nearest ties to even") and what numpy's `round`/`rint` do in onnxruntime's quantizer. The sign
 * of zero is kept like numpy: `roundHalfToEven(-0.5)` is `-0`.
 *
 * @example
 * roundHalfToEven(0.5); // 0
 * roundHalfToEven(1.5); // 2
 * roundHalfToEven(2.5); // 2
 * roundHalfToEven(-1.5); // -2
 */
export function roundHalfToEven(x: number): number {
  // Math.round breaks ties toward +Infinity; only an exact tie (x = r - 0.5) with an odd r needs
  // moving down. `r - x` is exact here: r and x are within 0.5 of each other (Sterbenz lemma).
  const r = Math.round(x);
  if (r - x === 0.5 && r % 2 !== 0) return r - 1;
  return r;
}

/** Rounds a number to the nearest float32, as numpy float32 arithmetic stores every result. */
export const f32 = Math.fround;
