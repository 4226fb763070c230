import { EdgefleetError } from '@edgefleet/protocol';

/** Error codes of the report writer, each with what it means. */
export const REPORT_ERROR_CODES = {
  EF_COMPILE_REPORT_WRITE:
    'The HTML report cannot be written to the --report path (missing directory, no permission). The bundle itself was written.',
} as const satisfies Record<string, string>;

/** One of the {@link REPORT_ERROR_CODES}. */
export type ReportErrorCode = keyof typeof REPORT_ERROR_CODES;

/**
 * An error raised while writing the report file.
 *
 * @example
 * try {
 *   await writeReportFile('out/report.html', html);
 * } catch (err) {
 *   if (err instanceof ReportError) console.error(err.code); // EF_COMPILE_REPORT_WRITE
 * }
 */
export class ReportError extends EdgefleetError {
  declare readonly code: ReportErrorCode;

  constructor(
    code: ReportErrorCode,
    message: string,
    details?: Record<string, unknown>,
    options?: ErrorOptions,
  ) {
    super(code, message, details, options);
    this.name = 'ReportError';
  }
}
