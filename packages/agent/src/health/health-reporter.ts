/**
 * Health reports (DESIGN section 8, [P-TL-1] `health`): every `intervalMs` (30 s by default)
 * the agent appends one record with uptime, CPU, memory, disk free under the state folder,
 * outbox counters and per-model request counters to the `health` stream of the outbox.
 */
import { statfs } from 'node:fs/promises';
import { freemem, totalmem } from 'node:os';
import { type HealthRecord, HealthRecordSchema } from '@edgefleet/protocol';
import type { ModelHost, ModelStats } from '../inference/model-host-api.js';
import type { ReportSink } from '../outbox/outbox-api.js';
import { CpuSampler } from './cpu-sampler.js';
import { HealthError } from './health-errors.js';

/** Default reporting interval (DESIGN section 8). */
export const DEFAULT_HEALTH_INTERVAL_MS = 30_000;
/** [P-TL-1] a health record lists at most 64 models. */
const MAX_MODELS = 64;

/** One serving model as the health record reports it; `stats` undefined reads as zeros. */
export interface HealthModelInput {
  name: string;
  version: string;
  stats: ModelStats | undefined;
}

/** The outbox's counters ([P-TL-1] `outbox`). */
export interface OutboxCounters {
  depth: number;
  bytes: number;
  dropped: number;
  expired: number;
}

export interface HealthReporterOptions {
  /** Where records go (the outbox). */
  reports: ReportSink;
  /** The serving models and their counters; see {@link modelsFromHost}. */
  models: () => readonly HealthModelInput[];
  /** The outbox's counters. */
  outbox: () => OutboxCounters;
  /** The agent's state folder: its file system's free and total bytes are reported. */
  stateDir: string;
  /** Milliseconds between records (default {@link DEFAULT_HEALTH_INTERVAL_MS}, at least 100). */
  intervalMs?: number;
  /** Clock for `ts` (default `Date.now`). */
  now?: () => number;
  /** Called with a coded error when a figure cannot be read or a record is not appended. */
  onError?: (err: HealthError) => void;
}

/**
 * Adapts a {@link ModelHost} to the reporter's `models` callback.
 *
 * @example
 * new HealthReporter({ models: modelsFromHost(host), ... });
 */
export function modelsFromHost(host: ModelHost): () => HealthModelInput[] {
  return () =>
    host.list().map((m) => ({ name: m.name, version: m.version, stats: host.stats(m.name) }));
}

/**
 * Builds and appends health records on a timer.
 *
 * @example
 * const health = new HealthReporter({ reports: outbox, models: modelsFromHost(host),
 *   outbox: () => outbox.counters(), stateDir });
 * health.start();
 * // ... on shutdown
 * health.stop();
 */
export class HealthReporter {
  readonly #options: HealthReporterOptions;
  readonly #intervalMs: number;
  readonly #now: () => number;
  readonly #cpu = new CpuSampler();
  #timer: NodeJS.Timeout | undefined;

  constructor(options: HealthReporterOptions) {
    const intervalMs = options.intervalMs ?? DEFAULT_HEALTH_INTERVAL_MS;
    if (!Number.isFinite(intervalMs) || intervalMs < 100) {
      throw new HealthError('EF_AGENT_HEALTH_OPTIONS', 'intervalMs must be a number >= 100', {
        intervalMs,
      });
    }
    for (const key of ['models', 'outbox'] as const) {
      if (typeof options[key] !== 'function') {
        throw new HealthError('EF_AGENT_HEALTH_OPTIONS', `${key} must be a function`, { key });
      }
    }
    if (typeof options.reports?.append !== 'function' || typeof options.stateDir !== 'string') {
      throw new HealthError('EF_AGENT_HEALTH_OPTIONS', 'reports and stateDir are required');
    }
    this.#options = options;
    this.#intervalMs = intervalMs;
    this.#now = options.now ?? Date.now;
  }

  /** Starts appending a record every interval (no-op when started). */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => {
      // collect() reports its own failures through onError and never rejects.
      void this.collect();
    }, this.#intervalMs);
    // Health reports must not keep a stopping agent alive.
    this.#timer.unref();
  }

  /** Stops the timer. */
  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /**
   * Builds one record now, appends it to the `health` stream and returns it. Never rejects:
   * an unreadable figure is reported as zeros (with `errors` naming it) and a record that does
   * not fit the schema is not appended (both through `onError`).
   */
  async collect(): Promise<HealthRecord> {
    const errors: string[] = [];
    const disk = await this.#disk(errors);
    const record = {
      ts: new Date(this.#now()).toISOString(),
      uptimeS: Math.round(process.uptime() * 1000) / 1000,
      cpu: this.#cpu.sample(),
      memory: { rss: process.memoryUsage.rss(), total: totalmem(), free: freemem() },
      disk,
      outbox: this.#outbox(errors),
      models: this.#models(errors),
      ...(errors.length > 0 ? { errors } : {}),
    };
    const parsed = HealthRecordSchema.safeParse(record);
    if (!parsed.success) {
      this.#fail(
        new HealthError(
          'EF_AGENT_HEALTH_RECORD',
          'the health record does not fit HealthRecordSchema',
          {
            issues: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
          },
        ),
      );
      return record as HealthRecord;
    }
    try {
      this.#options.reports.append('health', parsed.data);
    } catch (err) {
      this.#fail(
        new HealthError(
          'EF_AGENT_HEALTH_RECORD',
          'the outbox refused the health record',
          {},
          {
            cause: err,
          },
        ),
      );
    }
    return parsed.data;
  }

  async #disk(errors: string[]): Promise<{ free: number; total: number }> {
    try {
      const fs = await statfs(this.#options.stateDir);
      // bavail, not bfree: blocks reserved for root are not free for the agent.
      return { free: fs.bavail * fs.bsize, total: fs.blocks * fs.bsize };
    } catch (err) {
      errors.push('disk');
      this.#fail(
        new HealthError(
          'EF_AGENT_HEALTH_COLLECT',
          `cannot read disk statistics of ${this.#options.stateDir}`,
          { figure: 'disk', stateDir: this.#options.stateDir },
          { cause: err },
        ),
      );
      return { free: 0, total: 0 };
    }
  }

  #outbox(errors: string[]): OutboxCounters {
    try {
      const o = this.#options.outbox();
      return {
        depth: count(o.depth),
        bytes: count(o.bytes),
        dropped: count(o.dropped),
        expired: count(o.expired),
      };
    } catch (err) {
      errors.push('outbox');
      this.#fail(
        new HealthError(
          'EF_AGENT_HEALTH_COLLECT',
          'cannot read the outbox counters',
          { figure: 'outbox' },
          {
            cause: err,
          },
        ),
      );
      return { depth: 0, bytes: 0, dropped: 0, expired: 0 };
    }
  }

  #models(errors: string[]): HealthRecord['models'] {
    let models: readonly HealthModelInput[];
    try {
      models = this.#options.models();
    } catch (err) {
      errors.push('models');
      this.#fail(
        new HealthError(
          'EF_AGENT_HEALTH_COLLECT',
          'cannot read the model counters',
          { figure: 'models' },
          {
            cause: err,
          },
        ),
      );
      return [];
    }
    return models.slice(0, MAX_MODELS).map(({ name, version, stats }) => ({
      name,
      version,
      requests: count(stats?.requests),
      errors: count(stats?.errors),
      latencyMs: {
        p50: nonNegative(stats?.latencyMs.p50),
        p95: nonNegative(stats?.latencyMs.p95),
        p99: nonNegative(stats?.latencyMs.p99),
      },
    }));
  }

  #fail(err: HealthError): void {
    try {
      this.#options.onError?.(err);
    } catch {
      // A throwing error callback must not stop health reports.
    }
  }
}

/** A counter as the schema wants it: a non-negative integer (anything else reads as 0). */
function count(x: number | undefined): number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0 ? x : 0;
}

function nonNegative(x: number | undefined): number {
  return typeof x === 'number' && Number.isFinite(x) && x >= 0 ? x : 0;
}
