// Plain decimal or scientific notation, the same rule as the runtime's tabular preprocessing:
// 'Infinity', hex and '1,5' are not numbers, so nothing non-finite slips into a tensor.
const DECIMAL_NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

// The tokens pandas' read_csv reads as NaN by default (a subset: the ones seen in practice).
const MISSING_TOKENS = new Set(['', 'nan', 'na', 'n/a', 'null', '-nan']);

/** A CSV cell read as a number: finite, missing (empty or a NaN token), or not a number. */
export type CellValue =
  { kind: 'number'; value: number } | { kind: 'missing' } | { kind: 'invalid'; reason: string };

/**
 * Reads one CSV cell. Surrounding spaces are ignored; `''`, `NaN`, `NA`, `N/A`, `null`
 * (any case) are missing values, as pandas reads them.
 *
 * @example
 * readCell(' 1.5e3 '); // -> { kind: 'number', value: 1500 }
 * readCell('NaN');     // -> { kind: 'missing' }
 * readCell('abc');     // -> { kind: 'invalid', reason: '"abc" is not a number' }
 */
export function readCell(cell: string): CellValue {
  const text = cell.trim();
  if (MISSING_TOKENS.has(text.toLowerCase())) return { kind: 'missing' };
  if (DECIMAL_NUMBER.test(text)) {
    const value = Number(text);
    if (Number.isFinite(value)) return { kind: 'number', value };
    return { kind: 'invalid', reason: `"${text}" overflows to infinity` };
  }
  return { kind: 'invalid', reason: `${JSON.stringify(clip(text))} is not a number` };
}

function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}...` : text;
}
