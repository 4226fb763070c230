import { html, type SafeHtml } from './html-escape.js';
import { formatPct } from './report-format.js';
import type { ReportBin } from './report-types.js';

const WIDTH = 300;
const PLOT_TOP = 14;
const PLOT_HEIGHT = 80;
const LABEL_SPACE = 62;
// Rotated labels hang down-left from their bar: the first one needs room on the left.
const LEFT = 40;
const RIGHT = 6;
// Past this many bins rotated labels would overlap; every k-th is labelled and all have a <title>.
const MAX_LABELS = 16;

/**
 * A small inline SVG bar chart of histogram shares, one bar per bin, labelled with the bin's
 * range under the axis and the tallest share above. Text is escaped; no script, no fonts.
 *
 * @example
 * histogramSvg([{ label: '< 0', share: 0.2 }, { label: '>= 0', share: 0.8 }], 'rpm').value;
 * // -> '<svg class="hist" ...>...</svg>'
 */
export function histogramSvg(bins: readonly ReportBin[], title: string): SafeHtml {
  const n = Math.max(1, bins.length);
  const plotWidth = WIDTH - LEFT - RIGHT;
  const step = plotWidth / n;
  const top = Math.max(...bins.map((b) => b.share), 1e-12);
  const every = Math.ceil(n / MAX_LABELS);
  const baseY = PLOT_TOP + PLOT_HEIGHT;
  const bars = bins.map((b, i) => {
    const h = (b.share / top) * PLOT_HEIGHT;
    const x = LEFT + i * step;
    const cx = (x + step / 2).toFixed(1);
    const label =
      i % every === 0
        ? html`<text
            class="bin"
            x="${cx}"
            y="${baseY + 10}"
            transform="rotate(-45 ${cx} ${baseY + 10})"
            text-anchor="end"
            >${b.label}</text
          >`
        : null;
    return html`<rect
        x="${(x + 1).toFixed(1)}"
        y="${(baseY - h).toFixed(1)}"
        width="${Math.max(1, step - 2).toFixed(1)}"
        height="${h.toFixed(1)}"
        ><title>${b.label}: ${formatPct(b.share)}</title></rect
      >${label}`;
  });
  return html`<svg
    class="hist"
    viewBox="0 0 ${WIDTH} ${baseY + LABEL_SPACE}"
    width="${WIDTH}"
    height="${baseY + LABEL_SPACE}"
    role="img"
    aria-label="${title}"
  >
    <text class="peak" x="${LEFT}" y="10">max ${formatPct(top)}</text>
    <line x1="${LEFT}" y1="${baseY}" x2="${WIDTH - RIGHT}" y2="${baseY}" />
    ${bars}
  </svg>`;
}
