import { html, SafeHtml } from './html-escape.js';
import { baselineSection } from './report-baseline.js';
import { evaluationSection } from './report-evaluation.js';
import { compileReportJson } from './report-json.js';
import { filesSection, modelSection, preprocessSection } from './report-model-sections.js';
import {
  candidatesSection,
  headerSection,
  quantizationSection,
  summarySection,
} from './report-sections.js';
import { REPORT_STYLE } from './report-style.js';
import type { CompileReportExtras, CompileReportInput } from './report-types.js';

/**
 * Renders the compile report: one self-contained HTML file (inline CSS and SVG, no script, no
 * network) with the fp32-vs-shipped summary and gate verdict, quantization, confusion matrix or
 * regression metrics, candidates, size/latency bars, the drift baseline histograms,
 * preprocessing, model I/O and file digests. Every string from the data is escaped. The output
 * depends only on the input (the only date is the manifest's createdAt), so the same result
 * renders to the same bytes.
 *
 * @example
 * const result = await compile(options);
 * await writeFile('report.html', renderCompileReport(result));
 */
export function renderCompileReport(
  result: CompileReportInput,
  extras: CompileReportExtras = {},
): string {
  const r = compileReportJson(result, extras);
  // The stylesheet is our own constant; <style> is raw text, where escaping would break it.
  const page = html`<!DOCTYPE html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${r.title.name}@${r.title.version} compile report</title>
        <style>
          ${new SafeHtml(REPORT_STYLE)}
        </style>
      </head>
      <body>
        ${headerSection(r)} ${summarySection(r)} ${quantizationSection(r)}
        ${evaluationSection(r, extras.scatter)} ${candidatesSection(r)} ${baselineSection(r)}
        ${preprocessSection(r)} ${modelSection(r)} ${filesSection(r)}
      </body>
    </html> `;
  return page.value;
}
