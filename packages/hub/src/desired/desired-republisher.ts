/**
 * The timer that keeps desired state fresh ([P-DS-7]: a device refuses an expired document, so
 * the hub renews each one at half its lifetime, long before devices would freeze).
 */
import type { Logger } from 'pino';
import type { DesiredStateService } from './desired-state-service.js';

/** How often to look for due documents: an eighth of the lifetime, between 100 ms and 1 min. */
export function republishIntervalMs(ttlMs: number): number {
  return Math.min(60_000, Math.max(100, Math.floor(ttlMs / 8)));
}

/**
 * Starts checking periodically; returns a stop function that waits for a running check.
 *
 * @example
 * const stop = startDesiredRepublisher(desired, 7 * 86_400_000, logger);
 * await stop();
 */
export function startDesiredRepublisher(
  desired: DesiredStateService,
  ttlMs: number,
  logger: Logger,
): () => Promise<void> {
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    if (running !== undefined) return;
    running = desired
      .republishDue()
      .then(
        (count) => {
          if (count > 0) logger.info({ count }, 'renewed desired state before expiry');
        },
        (err: unknown) => logger.error({ err }, 'desired state renewal failed'),
      )
      .finally(() => {
        running = undefined;
      });
  }, republishIntervalMs(ttlMs));
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
