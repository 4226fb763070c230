/**
 * The `Range` request header for blob downloads (RFC 9110 section 14): one range of bytes.
 * Several ranges, other units or malformed values are ignored (the whole blob is sent), which
 * RFC 9110 allows; only a well-formed range starting beyond the end is unsatisfiable (416).
 */

export type RangeDecision =
  | { readonly kind: 'full' }
  | { readonly kind: 'partial'; readonly start: number; readonly end: number }
  | { readonly kind: 'unsatisfiable' };

/**
 * Decides which bytes of a `size`-byte blob to send for a Range header.
 *
 * @example
 * parseRange('bytes=0-99', 1000); // { kind: 'partial', start: 0, end: 99 }
 * parseRange('bytes=-10', 1000); // { kind: 'partial', start: 990, end: 999 }
 * parseRange('bytes=2000-', 1000); // { kind: 'unsatisfiable' }
 */
export function parseRange(header: string | undefined, size: number): RangeDecision {
  if (header === undefined) return { kind: 'full' };
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (match === null) return { kind: 'full' };
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return { kind: 'full' };
  if (first === '') {
    // Suffix range: the last N bytes.
    const n = Number(last);
    if (!Number.isSafeInteger(n)) return { kind: 'full' };
    if (n === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Number(last);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end)) return { kind: 'full' };
  if (last !== '' && end < start) return { kind: 'full' };
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'partial', start, end: Math.min(end, size - 1) };
}
