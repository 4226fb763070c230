import { percentile } from '@edgefleet/runtime';

import type { ModelStats } from './model-host-api.js';

/** What {@link ModelCounters.snapshot} reports: {@link ModelStats} plus the finer counts. */
export interface ModelHostStats extends ModelStats {
  /** Requests refused for their input (bad shape, unknown feature...): the caller's fault. */
  rejected: number;
  /** Worker crashes while this model had requests in flight. */
  crashes: number;
}

// Percentiles over the latest requests: recent enough to show a regression within a health
// interval, enough samples for a stable p99.
const DEFAULT_WINDOW = 2048;

/**
 * Request counters of one serving model since its activation. `errors` counts failures of
 * the model or the host (run errors, crashes, a full queue); `rejected` counts bad requests,
 * which say nothing about the model and must not trip a rollback.
 *
 * @example
 * const c = new ModelCounters();
 * c.record(0.4, 'ok');
 * c.snapshot().latencyMs.p50; // 0.4
 */
export class ModelCounters {
  readonly #latencies: Float64Array;
  #filled = 0;
  #next = 0;
  #requests = 0;
  #errors = 0;
  #rejected = 0;
  #crashes = 0;

  constructor(window = DEFAULT_WINDOW) {
    this.#latencies = new Float64Array(window);
  }

  /** Counts one finished request; latency enters the window only for answered ones. */
  record(latencyMs: number, outcome: 'ok' | 'error' | 'rejected'): void {
    this.#requests++;
    if (outcome === 'error') this.#errors++;
    if (outcome === 'rejected') this.#rejected++;
    if (outcome !== 'ok') return;
    this.#latencies[this.#next] = latencyMs;
    this.#next = (this.#next + 1) % this.#latencies.length;
    this.#filled = Math.min(this.#filled + 1, this.#latencies.length);
  }

  crashed(): void {
    this.#crashes++;
  }

  get crashes(): number {
    return this.#crashes;
  }

  snapshot(): ModelHostStats {
    const sorted = Array.from(this.#latencies.subarray(0, this.#filled)).sort((a, b) => a - b);
    const at = (q: number): number => (sorted.length === 0 ? 0 : percentile(sorted, q));
    return {
      requests: this.#requests,
      errors: this.#errors,
      rejected: this.#rejected,
      crashes: this.#crashes,
      latencyMs: { p50: at(0.5), p95: at(0.95), p99: at(0.99) },
    };
  }
}
