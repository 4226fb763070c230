/** The evaluation section: confusion matrix and per-class table, or regression metrics. */
import { html, type SafeHtml } from './html-escape.js';
import { formatInt, formatNum, formatPct } from './report-format.js';
import type {
  ClassificationSummary,
  CompileReportJson,
  RegressionSummary,
} from './report-types.js';
import { scatterSvg } from './svg-scatter.js';

// A K x K table past this stops being readable and grows as K²; the per-class table remains.
const MAX_HEATMAP_CLASSES = 40;

/** Row-normalized shading: green on the diagonal (right), red off it (confusions). */
function cellStyle(count: number, rowTotal: number, diagonal: boolean): string {
  if (count === 0 || rowTotal === 0) return '';
  const alpha = 0.12 + 0.78 * (count / rowTotal);
  const rgb = diagonal ? '26,127,55' : '207,34,46';
  return `background:rgba(${rgb},${alpha.toFixed(2)});${alpha > 0.55 ? 'color:#fff;' : ''}`;
}

function confusionTable(
  classes: readonly string[],
  confusion: ClassificationSummary['confusion'],
): SafeHtml {
  const rows = confusion.map((row, t) => {
    const total = row.reduce((a, b) => a + b, 0);
    const cells = row.map(
      (count, p) =>
        html`<td class="${count === 0 ? 'empty' : ''}" style="${cellStyle(count, total, t === p)}">
          ${count}
        </td>`,
    );
    return html`<tr>
      <th>${classes[t]}</th>
      ${cells}
      <td class="muted">${total}</td>
    </tr>`;
  });
  return html`<table class="confusion">
    <thead>
      <tr>
        <th>truth \\ predicted</th>
        ${classes.map((c) => html`<th class="num">${c}</th>`)}
        <th class="num">total</th>
      </tr>
    </thead>
    <tbody>
      ${rows}
    </tbody>
  </table>`;
}

function perClassTable(
  r: Extract<CompileReportJson['evaluation'], { task: 'classification' }>,
): SafeHtml {
  const rows = r.classes.map((name, i) => {
    const a = r.fp32.perClass[i];
    const b = r.shipped.perClass[i];
    const cells = [a, b].map(
      (m) =>
        html`<td class="num">${formatPct(m?.precision)}</td>
          <td class="num">${formatPct(m?.recall)}</td>
          <td class="num">${formatPct(m?.f1)}</td>`,
    );
    return html`<tr>
      <th>${name}</th>
      ${cells}
      <td class="num">${formatInt(b?.support ?? a?.support ?? 0)}</td>
    </tr>`;
  });
  return html`<table>
    <thead>
      <tr>
        <th rowspan="2">class</th>
        <th colspan="3">fp32</th>
        <th colspan="3">shipped</th>
        <th rowspan="2" class="num">support</th>
      </tr>
      <tr>
        <th class="num">precision</th>
        <th class="num">recall</th>
        <th class="num">F1</th>
        <th class="num">precision</th>
        <th class="num">recall</th>
        <th class="num">F1</th>
      </tr>
    </thead>
    <tbody>
      ${rows}
      <tr>
        <th>accuracy / macro F1</th>
        <td class="num" colspan="2">${formatPct(r.fp32.accuracy)}</td>
        <td class="num">${formatPct(r.fp32.macroF1)}</td>
        <td class="num" colspan="2">${formatPct(r.shipped.accuracy)}</td>
        <td class="num">${formatPct(r.shipped.macroF1)}</td>
        <td></td>
      </tr>
    </tbody>
  </table>`;
}

function regressionTable(fp32: RegressionSummary, shipped: RegressionSummary): SafeHtml {
  const rows: [string, number, number][] = [
    ['MSE', fp32.mse, shipped.mse],
    ['MAE', fp32.mae, shipped.mae],
    ['R²', fp32.r2, shipped.r2],
  ];
  return html`<table>
    <thead>
      <tr>
        <th></th>
        <th class="num">fp32</th>
        <th class="num">shipped</th>
      </tr>
    </thead>
    <tbody>
      ${rows.map(
        ([name, a, b]) =>
          html`<tr>
            <th>${name}</th>
            <td class="num">${formatNum(a, 6)}</td>
            <td class="num">${formatNum(b, 6)}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

/**
 * Classification: the shipped model's confusion matrix as a heatmap table (rows = truth) and
 * per-class precision/recall/F1 for both models. Regression: MSE/MAE/R², plus the scatter when
 * predictions are given.
 *
 * @example
 * evaluationSection(compileReportJson(result), undefined).value; // -> '<section id="evaluation">...'
 */
export function evaluationSection(
  r: CompileReportJson,
  scatter:
    { readonly actual: readonly number[]; readonly predicted: readonly number[] } | undefined,
): SafeHtml {
  const e = r.evaluation;
  if (e.task === 'regression') {
    return html`<section id="evaluation">
      <h2>Evaluation (regression)</h2>
      ${regressionTable(e.fp32, e.shipped)}
      ${
        scatter
          ? html`<h3>Shipped model: predicted against actual</h3>
              <figure>
                ${scatterSvg(scatter.actual, scatter.predicted)}
                <figcaption>Points on the dashed line y = x are exact.</figcaption>
              </figure>`
          : null
      }
    </section>`;
  }
  const heatmap =
    e.classes.length <= MAX_HEATMAP_CLASSES
      ? confusionTable(e.classes, e.shipped.confusion)
      : html`<p class="muted">
          ${e.classes.length} classes: the confusion matrix is left out; see the per-class table.
        </p>`;
  return html`<section id="evaluation">
    <h2>Evaluation (classification)</h2>
    <h3>Confusion matrix, shipped model (rows = truth, columns = predicted)</h3>
    ${heatmap}
    <h3>Per class</h3>
    ${perClassTable(e)}
  </section>`;
}
