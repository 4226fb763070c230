/**
 * Inference summaries ([P-TL-1] `inference`): per model version and time window, the number of
 * predictions, failed requests, request latency percentiles and a summary of the outputs
 * (class counts for classifiers, mean/min/max for regressors). One record per model version
 * with traffic is appended to the `inference` stream when the window closes.
 */
import { type InferenceRecord, InferenceRecordSchema } from '@edgefleet/protocol';
import { percentile } from '@edgefleet/runtime';
import type { ReportSink } from '../outbox/outbox-api.js';
import { HealthError } from './health-errors.js';

/** Default summary window. */
export const DEFAULT_INFERENCE_WINDOW_MS = 60_000;
/** Latencies kept per window; beyond this a uniform reservoir sample stands for all of them. */
export const DEFAULT_LATENCY_SAMPLES = 4096;
/** [P-TL-1] a counts array holds at most 1025 entries. */
const MAX_CLASSES = 1025;

/** One answered (or failed) request. */
export interface InferenceSample {
  /** Rows predicted by the request (0 for a failed request). */
  rows: number;
  /** Request latency. */
  latencyMs: number;
  /** The request failed. */
  error?: boolean;
  /** Predicted class index per row (classification). */
  classes?: ArrayLike<number>;
  /** First output value per row (regression). */
  values?: ArrayLike<number>;
}

export interface InferenceSummaryOptions {
  reports: ReportSink;
  /** Window length (default {@link DEFAULT_INFERENCE_WINDOW_MS}, at least 100). */
  windowMs?: number;
  /** Latencies kept per window (default {@link DEFAULT_LATENCY_SAMPLES}). */
  latencySamples?: number;
  now?: () => number;
  /** Random source for the latency reservoir (default `Math.random`). */
  random?: () => number;
  onError?: (err: HealthError) => void;
}

interface Window {
  model: string;
  version: string;
  start: number;
  rows: number;
  requests: number;
  errors: number;
  latencies: number[];
  latencySeen: number;
  classes: number[];
  sum: number;
  valueCount: number;
  min: number;
  max: number;
}

/**
 * Accumulates inference samples and appends one `inference` record per model version and
 * window. `record` is O(rows) and allocation-free past the reservoir, so it can sit on the
 * request path.
 *
 * @example
 * const summary = new InferenceSummary({ reports: outbox });
 * summary.start();
 * summary.record('pm', '1.2.0', { rows: 1, latencyMs: 0.8, classes: [0] });
 */
export class InferenceSummary {
  readonly #reports: ReportSink;
  readonly #windowMs: number;
  readonly #latencySamples: number;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #onError: ((err: HealthError) => void) | undefined;
  readonly #windows = new Map<string, Window>();
  #timer: NodeJS.Timeout | undefined;

  constructor(options: InferenceSummaryOptions) {
    const windowMs = options.windowMs ?? DEFAULT_INFERENCE_WINDOW_MS;
    const latencySamples = options.latencySamples ?? DEFAULT_LATENCY_SAMPLES;
    if (!Number.isFinite(windowMs) || windowMs < 100) {
      throw new HealthError('EF_AGENT_HEALTH_OPTIONS', 'windowMs must be a number >= 100', {
        windowMs,
      });
    }
    if (!Number.isInteger(latencySamples) || latencySamples < 1) {
      throw new HealthError(
        'EF_AGENT_HEALTH_OPTIONS',
        'latencySamples must be a positive integer',
        {
          latencySamples,
        },
      );
    }
    if (typeof options.reports?.append !== 'function') {
      throw new HealthError('EF_AGENT_HEALTH_OPTIONS', 'reports is required');
    }
    this.#reports = options.reports;
    this.#windowMs = windowMs;
    this.#latencySamples = latencySamples;
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.#onError = options.onError;
  }

  /** Closes windows every `windowMs` (no-op when started). */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => this.flush(), this.#windowMs);
    this.#timer.unref();
  }

  /** Stops the timer and appends the open windows. */
  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.flush();
  }

  /** Adds one request's figures to its model version's open window. */
  record(model: string, version: string, sample: InferenceSample): void {
    const key = `${model}\u0000${version}`;
    let w = this.#windows.get(key);
    if (w === undefined) {
      w = openWindow(model, version, this.#now());
      this.#windows.set(key, w);
    }
    w.requests++;
    if (sample.error === true) w.errors++;
    if (Number.isSafeInteger(sample.rows) && sample.rows > 0) w.rows += sample.rows;
    if (Number.isFinite(sample.latencyMs) && sample.latencyMs >= 0)
      this.#addLatency(w, sample.latencyMs);
    if (sample.classes !== undefined) addClasses(w, sample.classes);
    if (sample.values !== undefined) addValues(w, sample.values);
  }

  /**
   * Appends one record per model version that had requests in the open window, and opens new
   * windows. Returns the records appended.
   */
  flush(): InferenceRecord[] {
    const end = new Date(this.#now()).toISOString();
    const out: InferenceRecord[] = [];
    for (const w of this.#windows.values()) {
      const record = toRecord(w, end);
      const parsed = InferenceRecordSchema.safeParse(record);
      if (!parsed.success) {
        this.#fail(
          new HealthError(
            'EF_AGENT_HEALTH_RECORD',
            'the inference record does not fit InferenceRecordSchema',
            {
              model: w.model,
              version: w.version,
              issues: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
            },
          ),
        );
        continue;
      }
      try {
        this.#reports.append('inference', parsed.data);
        out.push(parsed.data);
      } catch (err) {
        this.#fail(
          new HealthError(
            'EF_AGENT_HEALTH_RECORD',
            'the outbox refused the inference record',
            {
              model: w.model,
            },
            { cause: err },
          ),
        );
      }
    }
    this.#windows.clear();
    return out;
  }

  #addLatency(w: Window, ms: number): void {
    w.latencySeen++;
    if (w.latencies.length < this.#latencySamples) {
      w.latencies.push(ms);
      return;
    }
    // Reservoir sampling (Algorithm R): every latency of the window is kept with equal chance.
    const j = Math.floor(this.#random() * w.latencySeen);
    if (j < this.#latencySamples) w.latencies[j] = ms;
  }

  #fail(err: HealthError): void {
    try {
      this.#onError?.(err);
    } catch {
      // A throwing error callback must not stop summaries.
    }
  }
}

function openWindow(model: string, version: string, start: number): Window {
  return {
    model,
    version,
    start,
    rows: 0,
    requests: 0,
    errors: 0,
    latencies: [],
    latencySeen: 0,
    classes: [],
    sum: 0,
    valueCount: 0,
    min: Infinity,
    max: -Infinity,
  };
}

function addClasses(w: Window, classes: ArrayLike<number>): void {
  for (let i = 0; i < classes.length; i++) {
    const c = classes[i] as number;
    if (!Number.isInteger(c) || c < 0 || c >= MAX_CLASSES) continue;
    while (w.classes.length <= c) w.classes.push(0);
    w.classes[c] = (w.classes[c] as number) + 1;
  }
}

function addValues(w: Window, values: ArrayLike<number>): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (!Number.isFinite(v)) continue;
    w.sum += v;
    w.valueCount++;
    if (v < w.min) w.min = v;
    if (v > w.max) w.max = v;
  }
}

function toRecord(w: Window, end: string): Record<string, unknown> {
  const sorted = [...w.latencies].sort((a, b) => a - b);
  const latencyMs =
    sorted.length === 0
      ? { p50: 0, p95: 0, p99: 0 }
      : {
          p50: percentile(sorted, 0.5),
          p95: percentile(sorted, 0.95),
          p99: percentile(sorted, 0.99),
        };
  const outputs: Record<string, unknown> = {};
  if (w.classes.length > 0) outputs['counts'] = [...w.classes];
  if (w.valueCount > 0) {
    outputs['mean'] = w.sum / w.valueCount;
    outputs['min'] = w.min;
    outputs['max'] = w.max;
  }
  return {
    model: w.model,
    version: w.version,
    windowStart: new Date(w.start).toISOString(),
    windowEnd: end,
    count: w.rows,
    errors: w.errors,
    // Extra (loose record): requests, since `count` counts rows and `errors` requests.
    requests: w.requests,
    latencyMs,
    ...(Object.keys(outputs).length > 0 ? { outputs } : {}),
  };
}
