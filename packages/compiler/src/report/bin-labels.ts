import { formatNum } from './report-format.js';

/**
 * Labels for the bins of a baseline histogram. Edges are interior ([P-BD-6]): n edges make n + 1
 * bins, the first an underflow "< e0", the last an overflow ">= eN"; no edges make one bin.
 *
 * @example
 * binLabels([0, 1]); // -> ['< 0', '[0, 1)', '>= 1']
 */
export function binLabels(edges: readonly number[]): string[] {
  if (edges.length === 0) return ['all'];
  const e = edges.map((x) => formatNum(x));
  return [`< ${e[0]}`, ...e.slice(1).map((hi, i) => `[${e[i]}, ${hi})`), `>= ${e[e.length - 1]}`];
}
