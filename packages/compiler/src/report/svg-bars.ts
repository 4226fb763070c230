import { html, type SafeHtml } from './html-escape.js';

/** One horizontal bar: a label, its value and the text printed after the bar. */
export interface Bar {
  readonly label: string;
  readonly value: number;
  readonly text: string;
  /** CSS class of the bar, e.g. 'fp32' or 'shipped'. */
  readonly kind: string;
}

const WIDTH = 440;
const LABEL = 90;
const VALUE_SPACE = 110;
const ROW = 22;

/**
 * Horizontal bars on one scale (the largest value fills the width), e.g. fp32 vs shipped size.
 *
 * @example
 * barsSvg('Size', [{ label: 'fp32', value: 100, text: '100 B', kind: 'fp32' },
 *   { label: 'fp16', value: 50, text: '50 B', kind: 'shipped' }]).value;
 * // -> '<svg class="bars" ...>...</svg>'
 */
export function barsSvg(title: string, bars: readonly Bar[]): SafeHtml {
  const top = Math.max(...bars.map((b) => b.value), 1e-12);
  const span = WIDTH - LABEL - VALUE_SPACE;
  const height = bars.length * ROW + 22;
  const rows = bars.map((b, i) => {
    const y = 20 + i * ROW;
    const w = Math.max(1, (Math.max(0, b.value) / top) * span);
    return html`<text x="${LABEL - 6}" y="${y + 12}" text-anchor="end">${b.label}</text
      ><rect
        class="${b.kind}"
        x="${LABEL}"
        y="${y}"
        width="${w.toFixed(1)}"
        height="${ROW - 6}"
      /><text x="${(LABEL + w + 6).toFixed(1)}" y="${y + 12}">${b.text}</text>`;
  });
  return html`<svg
    class="bars"
    viewBox="0 0 ${WIDTH} ${height}"
    width="${WIDTH}"
    height="${height}"
    role="img"
    aria-label="${title}"
  >
    <text class="title" x="0" y="12">${title}</text>
    ${rows}
  </svg>`;
}
