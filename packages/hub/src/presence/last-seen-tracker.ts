/**
 * "Last seen" per device, written in the background: the ingest path only notes the time in
 * memory; a timer writes the newest value per device about once a second, so a busy device
 * costs one small write per second instead of one per message.
 */
import type { Logger } from 'pino';
import type { HubStore } from '../storage/hub-store.js';

/** Buffers last-seen times and writes them periodically. */
export class LastSeenTracker {
  #pending = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> | undefined;

  constructor(
    private readonly store: HubStore,
    private readonly logger: Logger,
    private readonly intervalMs = 1000,
  ) {}

  /** Notes that `deviceId` was heard from at `at` (ms). */
  seen(deviceId: string, at: number): void {
    const previous = this.#pending.get(deviceId);
    if (previous === undefined || at > previous) this.#pending.set(deviceId, at);
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      void this.flush();
    }, this.intervalMs);
  }

  /** Writes everything noted so far. */
  async flush(): Promise<void> {
    await this.#flushing;
    const batch = this.#pending;
    if (batch.size === 0) return;
    this.#pending = new Map();
    this.#flushing = (async () => {
      for (const [deviceId, at] of batch) {
        try {
          await this.store.touchLastSeen(deviceId, at);
        } catch (err) {
          this.logger.debug({ deviceId, err }, 'could not record last seen');
        }
      }
    })();
    await this.#flushing;
    this.#flushing = undefined;
  }

  /** Stops the timer and writes what is pending. */
  async close(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.flush();
  }
}
