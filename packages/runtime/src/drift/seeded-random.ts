/**
 * Deterministic pseudo-random numbers for the bootstrap, so the same calibration data and seed
 * give the same thresholds (and so the same signed manifest) on every machine.
 */

/**
 * mulberry32 (Tommy Ettinger, public domain): a 32-bit state generator, fast and good enough
 * for resampling (it is not cryptographic). Returns floats in [0, 1).
 *
 * @example
 * const next = mulberry32(42);
 * next(); // 0.6011037519201636, the same on every run
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A per-stream seed from a base seed and a label (FNV-1a 32-bit over the label, mixed with the
 * seed), so that each feature's bootstrap depends on its name and the seed only, not on how
 * many features come before it.
 *
 * @example
 * deriveSeed(7, 'air_temp_k') === deriveSeed(7, 'air_temp_k'); // true
 */
export function deriveSeed(seed: number, label: string): number {
  let hash = (0x811c9dc5 ^ (seed >>> 0)) >>> 0;
  for (let i = 0; i < label.length; i++) {
    hash ^= label.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}
