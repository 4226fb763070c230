/**
 * One CSV line (RFC 4180 quoting within a line) into cells, and cells into numbers. Lines are
 * the unit of progress of a growing CSV source, so a quoted field cannot span lines here: such
 * a line is malformed (sensor logs do not quote newlines).
 */

/**
 * Splits a line into cells; undefined when a quote is not closed or is followed by text.
 *
 * @example
 * splitCsvLine('1,"a ""b""",3'); // ['1', 'a "b"', '3']
 * splitCsvLine('1,"open'); // undefined
 */
export function splitCsvLine(line: string): string[] | undefined {
  const cells: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let cell = '';
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) return undefined;
        cell += line.slice(i, q);
        if (line[q + 1] === '"') {
          cell += '"';
          i = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      cells.push(cell);
      if (i === line.length) return cells;
      if (line[i] !== ',') return undefined;
      i++;
    } else {
      const comma = line.indexOf(',', i);
      if (comma < 0) {
        cells.push(line.slice(i));
        return cells;
      }
      cells.push(line.slice(i, comma));
      i = comma + 1;
    }
  }
}

// Plain decimal or scientific notation, as the runtime's tabular preprocessing accepts.
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * A cell as a model input value: a finite number, null for an empty cell (missing: the model's
 * preprocessing imputes it), or undefined when it is not a number (the row is malformed).
 *
 * @example
 * cellValue(' 301.5 '); // 301.5
 * cellValue(''); // null
 * cellValue('n/a'); // undefined
 */
export function cellValue(cell: string): number | null | undefined {
  const text = cell.trim();
  if (text === '') return null;
  if (!DECIMAL.test(text)) return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}
