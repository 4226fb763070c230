/** The drift baseline section: one histogram per feature and the output distribution. */
import { html, type SafeHtml } from './html-escape.js';
import { formatInt, formatNum, formatPct } from './report-format.js';
import type { CompileReportJson } from './report-types.js';
import { histogramSvg } from './svg-histogram.js';

/**
 * The baseline the device compares its windows with: per feature the binned shares, mean, std
 * and the PSI threshold that flags drift, then the output distribution.
 *
 * @example
 * baselineSection(compileReportJson(result)).value; // -> '<section id="baseline">...'
 */
export function baselineSection(r: CompileReportJson): SafeHtml {
  const b = r.baseline;
  const features = b.features.map(
    (f) =>
      html`<figure>
        <h3>${f.name}</h3>
        ${histogramSvg(f.bins, f.name)}
        <figcaption>
          mean ${formatNum(f.mean)} · std ${formatNum(f.std)} · PSI threshold
          ${formatNum(f.psiThreshold)}
        </figcaption>
      </figure>`,
  );
  const outputTitle = b.output.kind === 'classes' ? 'Predicted classes' : 'Output histogram';
  return html`<section id="baseline">
    <h2>Drift baseline</h2>
    <p>
      Window of ${formatInt(b.windowSize)} samples; the window counts as drifted when at least
      ${formatPct(b.driftedShare)} of the features (and at least one) exceed their drift thresholds.
    </p>
    <div class="grid">${features}</div>
    <h3>Output distribution</h3>
    <div class="grid">
      <figure>
        <h3>${outputTitle}</h3>
        ${histogramSvg(b.output.bins, outputTitle)}
        <figcaption>
          ${b.output.bins.map((bin, i) => html`${i ? ' · ' : ''}${bin.label}: ${formatPct(bin.share)}`)}
        </figcaption>
      </figure>
    </div>
  </section>`;
}
