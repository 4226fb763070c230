/**
 * Number formatting for the report. Everything here is locale-free (no toLocaleString), so the
 * same result renders to the same bytes on every machine.
 */

/** Thousands separated by a thin space, e.g. 1 234 567. */
export function formatInt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  return Math.round(n)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, '\u2009');
}

/** A fraction as a percentage with two decimals, e.g. 0.98765 -> 98.77%. */
export function formatPct(x: number | null | undefined): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '–' : `${(x * 100).toFixed(2)}%`;
}

/** A general number with `digits` significant digits and no trailing zeros, e.g. 0.012300 -> 0.0123. */
export function formatNum(x: number | null | undefined, digits = 4): string {
  if (x === null || x === undefined) return '–';
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const abs = Math.abs(x);
  const text = abs >= 1e6 || abs < 1e-4 ? x.toExponential(digits - 1) : x.toPrecision(digits);
  // Drop trailing zeros of the mantissa only: 1.500 -> 1.5, 1.500e-5 -> 1.5e-5, 1200 stays.
  return text.replace(/(\.\d*?)0+(e|$)/, '$1$2').replace(/\.(e|$)/, '$1');
}

/** Milliseconds with three decimals. */
export function formatMs(ms: number): string {
  return `${ms.toFixed(3)} ms`;
}

/** shipped / fp32 as "0.51×"; "–" when fp32 is 0 (no latency measured). */
export function formatRatio(shipped: number, fp32: number): string {
  return fp32 > 0 && Number.isFinite(shipped) ? `${(shipped / fp32).toFixed(2)}×` : '–';
}

/** shipped / fp32, or null when it has no meaning. */
export function ratio(shipped: number, fp32: number): number | null {
  return fp32 > 0 && Number.isFinite(shipped) ? shipped / fp32 : null;
}
