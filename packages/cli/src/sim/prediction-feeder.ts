/**
 * Feeds every simulated device's serving models with sensor rows at a steady rate, from one
 * timer for the whole fleet: the predictions of one tick leave in the same event-loop turn, so
 * the shared workers get them as one message and run them stacked.
 */
import { createHash } from 'node:crypto';

import type { LocalModelHost } from '@edgefleet/agent';
import { isEdgefleetError } from '@edgefleet/protocol';

import type { SensorRow } from './sensor-data.js';

/** One device as the feeder sees it. */
export interface FeedTarget {
  id: string;
  host: LocalModelHost;
  /** The rows to feed a model version (drifted data for a drifting device). */
  rowsFor: (version: string) => readonly SensorRow[];
}

/** A device's traffic since the fleet started. */
export interface FeedCounters {
  /** Predictions answered. */
  ok: number;
  /** Predictions refused or failed, by error code. */
  errors: Record<string, number>;
  /** Ticks skipped because the device still had its last predictions in flight. */
  skipped: number;
}

export interface PredictionFeederOptions {
  /** Predictions per second per device (one per serving model each time); 0 sends none. */
  rate: number;
  /** Timer period; default 100 ms. */
  tickMs?: number;
  /** Predictions in flight per device before it skips ticks (a slow device); default 8. */
  maxInFlight?: number;
  /** Called from the timer when what a device serves changes (`name@version` list). */
  onServing?: (id: string, serving: { name: string; version: string }[]) => void;
}

interface TargetState extends FeedTarget {
  next: number;
  credit: number;
  inFlight: number;
  serving: string;
  counters: FeedCounters;
}

/**
 * The fleet's traffic generator.
 *
 * @example
 * const feeder = new PredictionFeeder({ rate: 5 });
 * feeder.add({ id: 'sim-1-0001', host: agent.modelHost, rowsFor: () => rows });
 * feeder.start();
 * await feeder.stop();
 */
export class PredictionFeeder {
  readonly #options: Required<Omit<PredictionFeederOptions, 'onServing'>> &
    Pick<PredictionFeederOptions, 'onServing'>;
  readonly #targets = new Map<string, TargetState>();
  #timer: NodeJS.Timeout | undefined;
  #lastTick = 0;
  #inFlight = 0;
  #drained: (() => void) | undefined;

  constructor(options: PredictionFeederOptions) {
    this.#options = { tickMs: 100, maxInFlight: 8, ...options };
  }

  add(target: FeedTarget): void {
    // Each device starts at its own place in the data, so the fleet does not send one row.
    const start = parseInt(createHash('sha256').update(target.id).digest('hex').slice(0, 8), 16);
    this.#targets.set(target.id, {
      ...target,
      next: start,
      credit: 0,
      inFlight: 0,
      serving: '',
      counters: { ok: 0, errors: {}, skipped: 0 },
    });
  }

  counters(id: string): FeedCounters | undefined {
    return this.#targets.get(id)?.counters;
  }

  start(): void {
    if (this.#timer !== undefined) return;
    this.#lastTick = Date.now();
    this.#timer = setInterval(() => this.#tick(), this.#options.tickMs);
    this.#timer.unref();
  }

  /** Stops sending and waits for the predictions in flight. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#inFlight > 0) await new Promise<void>((resolve) => (this.#drained = resolve));
  }

  #tick(): void {
    const now = Date.now();
    // Credit follows the clock, not the tick count: a late timer on a busy loop catches up.
    const elapsed = Math.min(now - this.#lastTick, 10 * this.#options.tickMs);
    this.#lastTick = now;
    for (const t of this.#targets.values()) {
      const models = t.host.list();
      const serving = models.map((m) => `${m.name}@${m.version}`).join(',');
      if (serving !== t.serving) {
        t.serving = serving;
        this.#options.onServing?.(
          t.id,
          models.map((m) => ({ name: m.name, version: m.version })),
        );
      }
      if (models.length === 0 || this.#options.rate === 0) {
        t.credit = 0;
        continue;
      }
      t.credit += (this.#options.rate * elapsed) / 1000;
      while (t.credit >= 1) {
        t.credit -= 1;
        if (t.inFlight >= this.#options.maxInFlight) {
          t.counters.skipped++;
          continue;
        }
        for (const m of models) {
          const rows = t.rowsFor(m.version);
          this.#send(t, m.name, rows[t.next % rows.length]!);
        }
        t.next++;
      }
    }
  }

  #send(t: TargetState, model: string, row: SensorRow): void {
    t.inFlight++;
    this.#inFlight++;
    t.host
      .predict(model, { instances: [row] })
      .then(
        () => {
          t.counters.ok++;
        },
        (err: unknown) => {
          const code = isEdgefleetError(err) ? err.code : 'EF_UNKNOWN';
          t.counters.errors[code] = (t.counters.errors[code] ?? 0) + 1;
        },
      )
      .finally(() => {
        t.inFlight--;
        if (--this.#inFlight === 0) this.#drained?.();
      });
  }
}
