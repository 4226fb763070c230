/** The report's sections that are tables of numbers: summary, quantization, candidates. */
import { html, type SafeHtml } from './html-escape.js';
import { formatInt, formatMs, formatNum, formatPct, formatRatio } from './report-format.js';
import type { CompileReportJson, ReportCandidate } from './report-types.js';
import { barsSvg } from './svg-bars.js';

function metricText(metric: string, value: number | undefined): string {
  if (value === undefined) return '–';
  return metric === 'accuracy' ? formatPct(value) : formatNum(value, 6);
}

/** A change relative to fp32 as a signed percentage, e.g. -0.01%. */
function formatRatioChange(delta: number, base: number): string {
  if (base === 0 || !Number.isFinite(delta / base)) return '–';
  const pct = (delta / base) * 100;
  return `${pct >= 0 ? '+' : ''}${pct.toFixed(2)}%`;
}

/** Title, date and tool versions. */
export function headerSection(r: CompileReportJson): SafeHtml {
  const t = r.title;
  return html`<header>
    <h1>Compile report: ${t.name}@${t.version}</h1>
    <p class="meta">
      created ${t.createdAt} · compiler ${t.compiler} · onnxruntime ${t.onnxruntime}
    </p>
  </header>`;
}

/** fp32 against the shipped model, the gate verdict, and size and latency bars. */
export function summarySection(r: CompileReportJson): SafeHtml {
  const s = r.summary;
  const mode = s.shipped.mode;
  const delta =
    s.metric === 'accuracy'
      ? `${(s.gate.delta * 100).toFixed(2)} points`
      : `${formatNum(s.gate.delta, 5)} (${formatRatioChange(s.gate.delta, s.fp32.metric)})`;
  const rows: [string, string, string, string][] = [
    [s.metric, metricText(s.metric, s.fp32.metric), metricText(s.metric, s.shipped.metric), delta],
    [
      'size',
      `${formatInt(s.fp32.bytes)} B`,
      `${formatInt(s.shipped.bytes)} B`,
      formatRatio(s.shipped.bytes, s.fp32.bytes),
    ],
    [
      'latency, batch 1, p50',
      formatMs(s.fp32.latencyMs),
      formatMs(s.shipped.latencyMs),
      formatRatio(s.shipped.latencyMs, s.fp32.latencyMs),
    ],
  ];
  const verdict = s.gate.passed ? 'pass' : 'fail';
  return html`<section id="summary">
    <h2>Summary</h2>
    <div class="verdict ${verdict}">${s.gate.passed ? 'PASS' : 'FAIL'}: ${s.gate.message}</div>
    <table>
      <thead>
        <tr>
          <th></th>
          <th class="num">fp32</th>
          <th class="num">shipped (${mode})</th>
          <th class="num">change</th>
        </tr>
      </thead>
      <tbody>
        ${rows.map(
          (row) =>
            html`<tr>
              <th>${row[0]}</th>
              <td class="num">${row[1]}</td>
              <td class="num">${row[2]}</td>
              <td class="num">${row[3]}</td>
            </tr>`,
        )}
      </tbody>
    </table>
    <table>
      <tbody>
        ${
          s.top1Agreement === null
            ? null
            : html`<tr>
                <th>top-1 agreement</th>
                <td class="num">${formatPct(s.top1Agreement)}</td>
              </tr>`
        }
        <tr>
          <th>max abs error (raw output)</th>
          <td class="num">${formatNum(s.maxAbsError)}</td>
        </tr>
        <tr>
          <th>mean abs error (raw output)</th>
          <td class="num">${formatNum(s.meanAbsError)}</td>
        </tr>
        <tr>
          <th>gate limit (${s.metric})</th>
          <td class="num">${metricText(s.metric, s.gate.limit)}</td>
        </tr>
        <tr>
          <th>evaluation samples</th>
          <td class="num">${formatInt(s.samples)}</td>
        </tr>
      </tbody>
    </table>
    <div class="grid">
      ${barsSvg('Model size', [
        { label: 'fp32', value: s.fp32.bytes, text: `${formatInt(s.fp32.bytes)} B`, kind: 'fp32' },
        {
          label: mode,
          value: s.shipped.bytes,
          text: `${formatInt(s.shipped.bytes)} B`,
          kind: 'shipped',
        },
      ])}
      ${barsSvg('Latency, batch 1, p50', [
        { label: 'fp32', value: s.fp32.latencyMs, text: formatMs(s.fp32.latencyMs), kind: 'fp32' },
        {
          label: mode,
          value: s.shipped.latencyMs,
          text: formatMs(s.shipped.latencyMs),
          kind: 'shipped',
        },
      ])}
    </div>
  </section>`;
}

/** How the model was quantized and what the compiler changed in the graph. */
export function quantizationSection(r: CompileReportJson): SafeHtml {
  const q = r.quantization;
  const cal = q.calibration;
  return html`<section id="quantization">
    <h2>Quantization</h2>
    <table>
      <tbody>
        <tr>
          <th>mode</th>
          <td>${q.mode}</td>
        </tr>
        <tr>
          <th>weight type</th>
          <td>${q.weightType ?? '–'}</td>
        </tr>
        <tr>
          <th>per-channel</th>
          <td>${q.perChannel === null ? '–' : q.perChannel ? 'yes' : 'no'}</td>
        </tr>
        <tr>
          <th>calibration</th>
          <td>${cal ? `${cal.method}, ${formatInt(cal.samples)} samples` : '–'}</td>
        </tr>
        ${Object.entries(q.other).map(
          ([k, v]) =>
            html`<tr>
              <th>${k}</th>
              <td><code>${v}</code></td>
            </tr>`,
        )}
      </tbody>
    </table>
    ${
      q.notes.length
        ? html`<h3>Notes</h3>
            <ul>
              ${q.notes.map((n) => html`<li>${n}</li>`)}
            </ul>`
        : html`<p class="muted">No graph changes to note.</p>`
    }
  </section>`;
}

function candidateRow(c: ReportCandidate, metric: string): SafeHtml {
  const gate = c.passed === undefined ? '–' : c.passed ? 'pass' : 'fail';
  const gateClass = c.passed === undefined ? '' : c.passed ? 'yes' : 'no';
  return html`<tr class="${c.chosen ? 'chosen' : ''}">
    <td>${c.mode}</td>
    <td class="num">${c.bytes === undefined ? '–' : `${formatInt(c.bytes)} B`}</td>
    <td class="num">${c.latencyMs === undefined ? '–' : formatMs(c.latencyMs)}</td>
    <td class="num">${metricText(metric, c.metric)}</td>
    <td class="${gateClass}">${gate}</td>
    <td class="${c.chosen ? 'yes' : ''}">${c.chosen ? 'chosen' : '–'}</td>
    <td>${c.reason}</td>
  </tr>`;
}

/** Every model `auto` quantization tried, and why it was or was not kept. */
export function candidatesSection(r: CompileReportJson): SafeHtml | null {
  if (r.candidates === null) return null;
  const metric = r.summary.metric;
  return html`<section id="candidates">
    <h2>Candidates</h2>
    <table>
      <thead>
        <tr>
          <th>mode</th>
          <th class="num">size</th>
          <th class="num">latency p50</th>
          <th class="num">${metric}</th>
          <th>gate</th>
          <th>chosen</th>
          <th>why</th>
        </tr>
      </thead>
      <tbody>
        ${r.candidates.map((c) => candidateRow(c, metric))}
      </tbody>
    </table>
  </section>`;
}
