import { html, type SafeHtml } from './html-escape.js';
import { formatNum } from './report-format.js';

const SIZE = 360;
const PAD = 44;
/** Points drawn at most; more are thinned with a fixed stride (deterministic, no sampling RNG). */
export const MAX_SCATTER_POINTS = 2000;

function thin(n: number): number[] {
  const stride = Math.max(1, Math.ceil(n / MAX_SCATTER_POINTS));
  const idx: number[] = [];
  for (let i = 0; i < n; i += stride) idx.push(i);
  return idx;
}

/**
 * Predicted-vs-actual scatter as inline SVG, with the y = x line a perfect model would sit on.
 * Both axes share one range so distance from the line reads as error.
 *
 * @example
 * scatterSvg([1, 2, 3], [1.1, 1.9, 3.2]).value; // -> '<svg class="scatter" ...>...</svg>'
 */
export function scatterSvg(actual: readonly number[], predicted: readonly number[]): SafeHtml {
  const n = Math.min(actual.length, predicted.length);
  const idx = thin(n).filter(
    (i) => Number.isFinite(actual[i] as number) && Number.isFinite(predicted[i] as number),
  );
  const values = idx.flatMap((i) => [actual[i] as number, predicted[i] as number]);
  let lo = values.length ? Math.min(...values) : 0;
  let hi = values.length ? Math.max(...values) : 1;
  if (hi === lo) {
    lo -= 1;
    hi += 1;
  }
  const span = SIZE - 2 * PAD;
  const sx = (v: number) => (PAD + ((v - lo) / (hi - lo)) * span).toFixed(1);
  const sy = (v: number) => (SIZE - PAD - ((v - lo) / (hi - lo)) * span).toFixed(1);
  const dots = idx.map(
    (i) =>
      html`<circle cx="${sx(actual[i] as number)}" cy="${sy(predicted[i] as number)}" r="1.6" />`,
  );
  const [l, h] = [formatNum(lo), formatNum(hi)];
  return html`<svg
    class="scatter"
    viewBox="0 0 ${SIZE} ${SIZE}"
    width="${SIZE}"
    height="${SIZE}"
    role="img"
    aria-label="predicted against actual, ${idx.length} points"
  >
    <rect class="frame" x="${PAD}" y="${PAD}" width="${span}" height="${span}" />
    <line class="ideal" x1="${sx(lo)}" y1="${sy(lo)}" x2="${sx(hi)}" y2="${sy(hi)}" />
    ${dots}
    <text x="${PAD}" y="${SIZE - PAD + 14}">${l}</text>
    <text x="${SIZE - PAD}" y="${SIZE - PAD + 14}" text-anchor="end">${h}</text>
    <text x="${SIZE / 2}" y="${SIZE - 8}" text-anchor="middle">actual</text>
    <text x="${PAD - 4}" y="${SIZE - PAD}" text-anchor="end">${l}</text>
    <text x="${PAD - 4}" y="${PAD + 4}" text-anchor="end">${h}</text>
    <text x="12" y="${SIZE / 2}" transform="rotate(-90 12 ${SIZE / 2})" text-anchor="middle">
      predicted
    </text>
    <text class="ideal-label" x="${SIZE - PAD - 4}" y="${PAD + 14}" text-anchor="end">y = x</text>
  </svg>`;
}
