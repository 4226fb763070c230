/** The hub's structured JSON logs (pino), one logger per hub process. */
import { destination, pino } from 'pino';
import type { Logger } from 'pino';

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** True when `level` is a pino level name the hub accepts. */
export function isLogLevel(level: unknown): level is (typeof LEVELS)[number] {
  return typeof level === 'string' && (LEVELS as readonly string[]).includes(level);
}

/**
 * A pino JSON logger to stdout at `level` (default `info`); `false` gives a silent logger
 * (tests). Records carry `name: "edgefleet-hub"`.
 *
 * @example
 * const logger = createLogger('debug');
 * logger.info({ deviceId: 'press-07' }, 'device enrolled');
 */
export function createLogger(level: string | false = 'info'): Logger {
  if (level === false) return pino({ enabled: false });
  return pino(
    {
      name: 'edgefleet-hub',
      level: isLogLevel(level) ? level : 'info',
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    // stderr: stdout stays clean for `--json` output and pipes.
    destination(2),
  );
}
