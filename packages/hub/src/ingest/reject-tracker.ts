/**
 * Counting and logging of dropped device messages: every drop is counted by reason; a log line
 * is written at most once per (device, reason) per interval, so a misbehaving device cannot
 * flood the log.
 */
import type { Logger } from 'pino';
import type { HubMetrics, RejectReason } from '../metrics/hub-metrics.js';

const DEFAULT_INTERVAL_MS = 60_000;
const MAX_REMEMBERED = 10_000;

/** Counts drops and logs them, rate-limited. */
export class RejectTracker {
  readonly #lastLogged = new Map<string, number>();

  constructor(
    private readonly metrics: HubMetrics,
    private readonly logger: Logger,
    private readonly intervalMs = DEFAULT_INTERVAL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Counts one dropped message and logs it unless the same (device, reason) was logged within
   * the interval. Returns true when it was logged.
   *
   * @example
   * rejects.reject('press-07', 'schema', 'telemetry batch: records[0].cpu: too big');
   */
  reject(deviceId: string | undefined, reason: RejectReason, detail: string): boolean {
    this.metrics.rejects.inc({ reason });
    const key = `${deviceId ?? '?'}\u0000${reason}`;
    const now = this.now();
    const last = this.#lastLogged.get(key);
    if (last !== undefined && now - last < this.intervalMs) return false;
    // Forget everything at once rather than track ages: a bounded map is all that matters.
    if (this.#lastLogged.size >= MAX_REMEMBERED) this.#lastLogged.clear();
    this.#lastLogged.set(key, now);
    this.logger.warn(
      { deviceId, reason, detail: detail.slice(0, 500) },
      'dropped a device message (logged once per device and reason per minute)',
    );
    return true;
  }
}
