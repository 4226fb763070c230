/** The compile report: one self-contained HTML file, and the same numbers as JSON. */
export { renderCompileReport } from './render-report.js';
export { compileReportJson } from './report-json.js';
export { checkReportPath, writeReportFile } from './write-report.js';
export { REPORT_ERROR_CODES, ReportError } from './report-errors.js';
export type { ReportErrorCode } from './report-errors.js';
export { escapeHtml } from './html-escape.js';
export type {
  CompileReportExtras,
  CompileReportInput,
  CompileReportJson,
  ReportCandidate,
} from './report-types.js';
