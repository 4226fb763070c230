/**
 * Human durations for options such as `--expires 365d`.
 */
import { ProtocolError } from './errors.js';

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
const DURATION = /^(\d{1,15})(ms|s|m|h|d|w)$/;

/**
 * Milliseconds in a duration `<integer><ms|s|m|h|d|w>`. Throws `EF_PROTO_DURATION`.
 *
 * @example
 * parseDuration('365d'); // 31536000000
 * parseDuration('30m'); // 1800000
 */
export function parseDuration(input: unknown): number {
  const m = typeof input === 'string' ? DURATION.exec(input.trim()) : null;
  const ms = m ? Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS] : NaN;
  if (!Number.isSafeInteger(ms)) {
    const shown = typeof input === 'string' ? `"${input.slice(0, 32)}"` : typeof input;
    throw new ProtocolError(
      'EF_PROTO_DURATION',
      `${shown} is not a duration like 365d, 12h, 30m, 10s or 500ms`,
    );
  }
  return ms;
}
