/**
 * What one device reported about one model version over a window, folded from stored telemetry
 * rows as they arrive, so the rollout engine's gate checks (every few seconds, for up to every
 * device of a wave) only read rows they have not seen yet.
 *
 * Health records ([P-TL-1] `health`) carry per-model counters cumulative since the model was
 * activated; a window's requests are the increases between consecutive records of one boot,
 * where a decrease means the counters restarted (the model was activated again). The first
 * record of a boot counts in full unless an earlier record of that boot, from before the window,
 * gives a baseline. Inference summaries ([P-TL-1] `inference`) already count per window and,
 * when a device sends them, are preferred. Drift windows ([P-TL-1] `drift`) count when scored.
 */
import type { StoredTelemetry } from '../storage/hub-store.js';
import type { WindowStats } from '../rollouts/index.js';

interface Counted {
  requests: number;
  errors: number;
  /** Σ p95 × requests, for the request-weighted mean. */
  p95Weighted: number;
}

interface ChainPoint {
  seq: number;
  requests: number;
  errors: number;
}

const num = (x: unknown): number | undefined =>
  typeof x === 'number' && Number.isFinite(x) && x >= 0 ? x : undefined;

function records(row: StoredTelemetry): Record<string, unknown>[] {
  try {
    const batch = JSON.parse(row.payloadJson) as { records?: unknown };
    return Array.isArray(batch.records)
      ? batch.records.filter(
          (r): r is Record<string, unknown> => typeof r === 'object' && r !== null,
        )
      : [];
  } catch {
    // Stored rows were parsed at ingest; an unreadable one adds nothing.
    return [];
  }
}

function p95Of(record: Record<string, unknown>): number {
  const latency = record['latencyMs'];
  return typeof latency === 'object' && latency !== null
    ? (num((latency as Record<string, unknown>)['p95']) ?? 0)
    : 0;
}

/** The share of drifted features of a drift record, when it was scored. */
function driftedShare(record: Record<string, unknown>): number | null {
  const share = num(record['driftedShare']);
  if (share !== undefined) return Math.min(1, share);
  const scores = record['scores'];
  if (!Array.isArray(scores) || scores.length === 0) return null;
  const flags = scores.map((s) => (s as Record<string, unknown> | null)?.['drifted']);
  if (!flags.every((f) => typeof f === 'boolean')) return null;
  return flags.filter((f) => f === true).length / flags.length;
}

/**
 * The running sums of one (device, model, version, window start).
 *
 * @example
 * const acc = new WindowAccumulator('pm', '1.1.0', notifiedAt);
 * acc.addHealth(rows); acc.addInference([]); acc.addDrift(rows);
 * acc.stats(); // { requests, errors, p95LatencyMs, drift: { total, drifted, maxScore } }
 */
export class WindowAccumulator {
  readonly #health: Counted = { requests: 0, errors: 0, p95Weighted: 0 };
  readonly #inference: Counted = { requests: 0, errors: 0, p95Weighted: 0 };
  readonly #drift = { total: 0, drifted: 0, maxScore: null as number | null };
  readonly #chains = new Map<string, ChainPoint>();
  #healthSeen = false;
  #inferenceSeen = false;
  #driftSeen = false;

  constructor(
    readonly model: string,
    readonly version: string,
    /** Rows received before this only set health baselines. */
    readonly from: number,
  ) {}

  #matches(name: unknown, version: unknown): boolean {
    return name === this.model && version === this.version;
  }

  /** Folds health rows; each row must be given once, in receive order. */
  addHealth(rows: readonly StoredTelemetry[]): void {
    for (const row of rows) {
      const inWindow = row.receivedAt >= this.from;
      const points = records(row)
        .map((r) => ({ ts: Date.parse(String(r['ts'])), models: r['models'] }))
        .sort((a, b) => a.ts - b.ts);
      for (const point of points) {
        if (!Array.isArray(point.models)) continue;
        for (const m of point.models as Record<string, unknown>[]) {
          if (m === null || typeof m !== 'object' || !this.#matches(m['name'], m['version'])) {
            continue;
          }
          this.#addCounter(row, m, inWindow);
        }
      }
    }
  }

  #addCounter(row: StoredTelemetry, m: Record<string, unknown>, inWindow: boolean): void {
    const requests = num(m['requests']) ?? 0;
    const errors = num(m['errors']) ?? 0;
    const last = this.#chains.get(row.bootId);
    // A record sent late (an outbox resend) is already inside the newer cumulative count.
    if (last !== undefined && row.seq < last.seq) return;
    this.#chains.set(row.bootId, { seq: row.seq, requests, errors });
    if (!inWindow) return;
    this.#healthSeen = true;
    const restarted = last === undefined || requests < last.requests || errors < last.errors;
    const dRequests = restarted ? requests : requests - last.requests;
    const dErrors = restarted ? errors : errors - last.errors;
    this.#health.requests += dRequests;
    this.#health.errors += dErrors;
    this.#health.p95Weighted += p95Of(m) * dRequests;
  }

  /** Folds inference summary rows (received in the window). */
  addInference(rows: readonly StoredTelemetry[]): void {
    for (const row of rows) {
      if (row.receivedAt < this.from) continue;
      for (const r of records(row)) {
        if (!this.#matches(r['model'], r['version'])) continue;
        // `requests` is the agent's extra field; `count` counts rows, the closest stand-in.
        const requests = num(r['requests']) ?? num(r['count']) ?? 0;
        this.#inferenceSeen = true;
        this.#inference.requests += requests;
        this.#inference.errors += num(r['errors']) ?? 0;
        this.#inference.p95Weighted += p95Of(r) * requests;
      }
    }
  }

  /** Folds drift rows (received in the window). Unscored windows say nothing and are skipped. */
  addDrift(rows: readonly StoredTelemetry[]): void {
    for (const row of rows) {
      if (row.receivedAt < this.from) continue;
      for (const r of records(row)) {
        if (!this.#matches(r['model'], r['version'])) continue;
        this.#driftSeen = true;
        if (typeof r['drifted'] !== 'boolean') continue;
        this.#drift.total += 1;
        if (r['drifted']) this.#drift.drifted += 1;
        const share = driftedShare(r);
        if (share !== null) this.#drift.maxScore = Math.max(this.#drift.maxScore ?? 0, share);
      }
    }
  }

  /** The window's numbers, or null when the device reported nothing about the version in it. */
  stats(): WindowStats | null {
    if (!this.#healthSeen && !this.#inferenceSeen && !this.#driftSeen) return null;
    const c = this.#inferenceSeen ? this.#inference : this.#health;
    return {
      requests: c.requests,
      errors: c.errors,
      p95LatencyMs: c.requests > 0 ? c.p95Weighted / c.requests : null,
      drift: { ...this.#drift },
    };
  }
}
