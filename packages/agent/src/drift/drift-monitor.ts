/**
 * Drift monitoring on the device (DESIGN section 8, [P-TL-1] `drift`): per tracked model, count
 * live inputs in the baseline's bins and outputs per class or bin, close a window by row count
 * (the baseline's `windowSize` by default, the size its thresholds were bootstrapped for) or by
 * a time cap, score it (PSI, Jensen-Shannon, binned KS per feature; drifted when the share of
 * features over threshold reaches the bundle's `rule.driftedShare`) and append it to the
 * outbox's `drift` stream. The outbox keeps records while offline, so windows close and are
 * reported whether the link is up or not.
 *
 * Restarts: with `stateDir`, open windows are checkpointed (see window-checkpoint.ts) and a
 * restart continues them; rows counted after the last checkpoint are lost on a crash. Without
 * `stateDir` an open window lives in memory only and a crash loses it.
 */
import type { EdgefleetError, Manifest } from '@edgefleet/protocol';
import {
  mergeWindowCounts,
  type PreprocessedTensor,
  WindowCounter,
  type WindowCounts,
} from '@edgefleet/runtime';
import type { ReportSink } from '../outbox/outbox-api.js';
import {
  checkBaselineFeatures,
  checkOutputs,
  type DriftInput,
  type DriftModelSpec,
  driftModelSpec,
  driftRows,
} from './drift-model.js';
import { DriftMonitorError } from './drift-monitor-errors.js';
import { driftRecord, type WindowCloseReason } from './drift-record.js';
import {
  baselineKey,
  readCheckpoint,
  type SavedWindow,
  writeCheckpoint,
} from './window-checkpoint.js';

/** Default time cap of a window: a quiet model still reports its counts hourly. */
export const DEFAULT_DRIFT_WINDOW_MS = 3_600_000;

export interface DriftMonitorOptions {
  reports: ReportSink;
  /**
   * When a window closes: after `count` rows (default: each baseline's `windowSize`) or `ms`
   * after its first row (default {@link DEFAULT_DRIFT_WINDOW_MS}), whichever comes first.
   */
  window?: { count?: number; ms?: number };
  /**
   * Windows with fewer rows carry counts but no scores (default: the window's row count).
   * Thresholds were bootstrapped for `windowSize` rows; a smaller window is noisier and would
   * raise false alarms, and its counts can still be merged and scored on the hub.
   */
  minScoredCount?: number;
  /** Folder for the open-window checkpoint; without it a restart loses open windows. */
  stateDir?: string;
  now?: () => number;
  /** Coded errors (bad input batches, checkpoint failures); observe() itself never throws. */
  onError?: (err: EdgefleetError) => void;
}

/** Counters for status and tests. */
export interface DriftMonitorStats {
  /** Windows appended. */
  windows: number;
  /** Of which scored and drifted. */
  drifted: number;
  /** Rows of models or versions not tracked (ignored). */
  ignoredRows: number;
  /** Batches refused as not fitting the baseline. */
  badBatches: number;
}

interface Tracked {
  spec: DriftModelSpec;
  key: string;
  counter: WindowCounter;
  /** Counts restored from a checkpoint, added to the counter's at close. */
  carried: WindowCounts | undefined;
  start: number | undefined;
  windowCount: number;
  minScored: number;
}

/**
 * Watches models' inputs and outputs for drift.
 *
 * @example
 * const drift = new DriftMonitor({ reports: outbox, stateDir });
 * drift.track(bundle.manifest);
 * drift.start();
 * // after each answered request (raw rows for tabular models):
 * drift.observe('pm', '1.0.0', rows, predictedClasses);
 */
export class DriftMonitor {
  readonly #reports: ReportSink;
  readonly #windowCount: number | undefined;
  readonly #windowMs: number;
  readonly #minScored: number | undefined;
  readonly #stateDir: string | undefined;
  readonly #now: () => number;
  readonly #onError: ((err: EdgefleetError) => void) | undefined;
  readonly #models = new Map<string, Tracked>();
  /** Checkpointed windows of models not tracked (yet): kept until claimed or replaced. */
  readonly #unclaimed: Map<string, SavedWindow>;
  readonly #stats: DriftMonitorStats = { windows: 0, drifted: 0, ignoredRows: 0, badBatches: 0 };
  #dirty = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: DriftMonitorOptions) {
    const { count, ms = DEFAULT_DRIFT_WINDOW_MS } = options.window ?? {};
    if (count !== undefined && !(Number.isSafeInteger(count) && count >= 1)) {
      throw new DriftMonitorError(
        'EF_AGENT_DRIFT_OPTIONS',
        'window.count must be a positive integer',
        { count },
      );
    }
    if (!(Number.isFinite(ms) && ms >= 1)) {
      throw new DriftMonitorError('EF_AGENT_DRIFT_OPTIONS', 'window.ms must be a positive number', {
        ms,
      });
    }
    const minScored = options.minScoredCount;
    if (minScored !== undefined && !(Number.isSafeInteger(minScored) && minScored >= 1)) {
      throw new DriftMonitorError(
        'EF_AGENT_DRIFT_OPTIONS',
        'minScoredCount must be a positive integer',
        {
          minScoredCount: minScored,
        },
      );
    }
    if (typeof options.reports?.append !== 'function') {
      throw new DriftMonitorError('EF_AGENT_DRIFT_OPTIONS', 'reports is required');
    }
    this.#reports = options.reports;
    this.#windowCount = count;
    this.#windowMs = ms;
    this.#minScored = minScored;
    this.#stateDir = options.stateDir;
    this.#now = options.now ?? Date.now;
    this.#onError = options.onError;
    this.#unclaimed = this.#loadCheckpoint();
  }

  /**
   * Watches a model version (a manifest or its drift parts). Tracking a new version of a name
   * closes the previous version's open window. Throws `EF_AGENT_DRIFT_BASELINE` when the
   * baseline does not fit the preprocessing.
   */
  track(model: DriftModelSpec | Manifest): void {
    const spec = driftModelSpec(model);
    checkBaselineFeatures(spec);
    const key = baselineKey(spec.baseline);
    const previous = this.#models.get(spec.name);
    if (previous !== undefined) {
      if (previous.spec.version === spec.version && previous.key === key) return;
      this.#close(previous, 'replaced');
    }
    const windowCount = this.#windowCount ?? spec.baseline.windowSize;
    const tracked: Tracked = {
      spec,
      key,
      counter: new WindowCounter(spec.baseline),
      carried: undefined,
      start: undefined,
      windowCount,
      minScored: this.#minScored ?? windowCount,
    };
    const saved = this.#unclaimed.get(spec.name);
    if (saved !== undefined) {
      this.#unclaimed.delete(spec.name);
      this.#dirty = true;
      if (saved.version === spec.version && saved.baseline === key && fits(saved.counts, spec)) {
        tracked.carried = saved.counts;
        tracked.start = saved.start;
      }
    }
    this.#models.set(spec.name, tracked);
    this.#flushCheckpoint();
  }

  /** Stops watching `name`, appending its open window. */
  untrack(name: string): void {
    const tracked = this.#models.get(name);
    if (tracked === undefined) return;
    this.#close(tracked, 'replaced');
    this.#models.delete(name);
    this.#flushCheckpoint();
  }

  /**
   * Counts one batch: its inputs (see {@link DriftInput}) and, optionally, one output per row
   * (class index, or regression value). Windows that fill up close and are appended on the
   * way. Never throws: a batch that does not fit is refused whole and passed to `onError`
   * (`EF_AGENT_DRIFT_INPUT`); rows of an untracked model or version are ignored.
   */
  observe(name: string, version: string, input: DriftInput, outputs?: ArrayLike<number>): void {
    const tracked = this.#models.get(name);
    if (tracked === undefined || tracked.spec.version !== version) {
      this.#stats.ignoredRows += Array.isArray(input)
        ? input.length
        : ((input as PreprocessedTensor).dims[0] ?? 0);
      return;
    }
    let rows: ArrayLike<number>[];
    try {
      rows = driftRows(tracked.spec, input);
      checkOutputs(tracked.spec, outputs, rows.length);
    } catch (err) {
      this.#stats.badBatches++;
      this.#fail(err);
      return;
    }
    if (rows.length === 0) return;
    const now = this.#now();
    try {
      this.#closeIfExpired(tracked, now);
      // A batch larger than the room left is split, so every window holds exactly its count.
      let offset = 0;
      while (offset < rows.length) {
        const take = Math.min(tracked.windowCount - windowRows(tracked), rows.length - offset);
        tracked.start ??= now;
        const slice = rows.slice(offset, offset + take);
        tracked.counter.addRows(slice, outputs && sliceOf(outputs, offset, offset + take));
        offset += take;
        if (windowRows(tracked) >= tracked.windowCount) this.#close(tracked, 'count');
      }
    } catch (err) {
      // Unreachable with checked rows; kept so that inference never sees a drift failure.
      this.#stats.badBatches++;
      this.#fail(err);
    }
    this.#dirty = true;
  }

  /** Closes windows past their time cap and saves the open ones; `start()` calls it on a timer. */
  tick(): void {
    const now = this.#now();
    for (const tracked of this.#models.values()) this.#closeIfExpired(tracked, now);
    this.#flushCheckpoint();
  }

  /** Ticks on a timer (a tenth of the time cap, between 1 s and 60 s). */
  start(): void {
    if (this.#timer !== undefined) return;
    const every = Math.min(60_000, Math.max(1_000, this.#windowMs / 10));
    this.#timer = setInterval(() => this.tick(), every);
    this.#timer.unref();
  }

  /**
   * Stops the timer. With `stateDir` the open windows are checkpointed and continue after a
   * restart; without it they are appended now (counts, scored when full enough).
   */
  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#stateDir !== undefined) {
      this.#dirty = true;
      this.#flushCheckpoint();
      return;
    }
    for (const tracked of this.#models.values()) this.#close(tracked, 'stop');
  }

  /** The open window of `name`: rows so far and first-row time, or undefined. */
  openWindow(
    name: string,
  ): { version: string; count: number; start: number | undefined } | undefined {
    const tracked = this.#models.get(name);
    if (tracked === undefined) return undefined;
    return { version: tracked.spec.version, count: windowRows(tracked), start: tracked.start };
  }

  stats(): DriftMonitorStats {
    return { ...this.#stats };
  }

  #closeIfExpired(tracked: Tracked, now: number): void {
    if (tracked.start !== undefined && now - tracked.start >= this.#windowMs) {
      this.#close(tracked, 'time');
    }
  }

  /** Appends the open window (when it holds rows) and starts a new one. */
  #close(tracked: Tracked, reason: WindowCloseReason): void {
    const snapshot = tracked.counter.snapshot();
    const counts =
      tracked.carried === undefined ? snapshot : mergeWindowCounts(tracked.carried, snapshot);
    const start = tracked.start;
    tracked.counter.reset();
    tracked.carried = undefined;
    tracked.start = undefined;
    if (counts.count === 0 || start === undefined) return;
    const record = driftRecord({
      model: tracked.spec.name,
      version: tracked.spec.version,
      baseline: tracked.spec.baseline,
      counts,
      start,
      end: this.#now(),
      closedBy: reason,
      score: counts.count >= tracked.minScored,
    });
    try {
      this.#reports.append('drift', record);
      this.#stats.windows++;
      if (record['drifted'] === true) this.#stats.drifted++;
    } catch (err) {
      this.#fail(err);
    }
    // The closed counts must leave the checkpoint at once, or a restart would count them twice.
    this.#dirty = true;
    this.#flushCheckpoint();
  }

  #loadCheckpoint(): Map<string, SavedWindow> {
    if (this.#stateDir === undefined) return new Map();
    try {
      return readCheckpoint(this.#stateDir);
    } catch (err) {
      this.#fail(err);
      return new Map();
    }
  }

  #flushCheckpoint(): void {
    if (this.#stateDir === undefined || !this.#dirty) return;
    const windows = new Map(this.#unclaimed);
    for (const [name, t] of this.#models) {
      if (t.start === undefined) continue;
      const snapshot = t.counter.snapshot();
      const counts = t.carried === undefined ? snapshot : mergeWindowCounts(t.carried, snapshot);
      windows.set(name, { version: t.spec.version, baseline: t.key, start: t.start, counts });
    }
    try {
      writeCheckpoint(this.#stateDir, windows);
      this.#dirty = false;
    } catch (err) {
      this.#fail(err);
    }
  }

  #fail(err: unknown): void {
    try {
      this.#onError?.(err as EdgefleetError);
    } catch {
      // A throwing error callback must not break the monitor.
    }
  }
}

function windowRows(tracked: Tracked): number {
  return tracked.counter.count + (tracked.carried?.count ?? 0);
}

function sliceOf(values: ArrayLike<number>, from: number, to: number): ArrayLike<number> {
  return Array.prototype.slice.call(values, from, to) as number[];
}

/** Saved counts have the baseline's shape (a damaged checkpoint is dropped, not merged). */
function fits(counts: WindowCounts, spec: DriftModelSpec): boolean {
  const { features, output } = spec.baseline;
  const outputBins = output.kind === 'classes' ? output.shares.length : output.edges.length + 1;
  return (
    counts.features.length === features.length &&
    counts.features.every(
      (f, i) =>
        Array.isArray(f.counts) && f.counts.length === (features[i]?.edges.length ?? -1) + 1,
    ) &&
    counts.output.counts.length === outputBins
  );
}
