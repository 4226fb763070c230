/**
 * A plain-text table with a header row and columns padded to their widest cell.
 *
 * @example
 * formatTable(['NAME', 'VERSION'], [['pm', '1.0.0']]);
 * // ['NAME  VERSION', 'pm    1.0.0']
 */
export function formatTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)];
}
