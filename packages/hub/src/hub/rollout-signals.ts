/**
 * The rollout engine's {@link RolloutSignalsPort} over the hub store: deployment statuses from
 * `latestStatusesSince`, and health and drift numbers folded from stored telemetry rows.
 *
 * Gate checks ask for the same windows again and again (one per device of the wave, `from` the
 * device's notification, `to` now), so each window keeps a {@link WindowAccumulator} and reads
 * only rows received since its last read. Rows are stored a little after they are received (the
 * ingest batcher), so the last {@link SETTLE_MS} are read again each time and rows already
 * folded are skipped by their (boot, seq) key.
 */
import type { HubStore, StoredTelemetry } from '../storage/hub-store.js';
import type {
  DeviceStatusReport,
  ReleaseRef,
  RolloutSignalsPort,
  StatusQuery,
  WindowQuery,
  WindowStats,
} from '../rollouts/index.js';
import { statusReport } from './status-forwarding.js';
import { WindowAccumulator } from './window-accumulator.js';

/** Options of {@link StoreSignals}. */
export interface StoreSignalsOptions {
  /** How far before a window health rows are read for a baseline (default 10 minutes). */
  baselineLookbackMs?: number;
  /** Rows per query (default 1000); more are read in further pages. */
  pageSize?: number;
  /** Rows read per stream per window at most (default 10,000): a bound on a runaway device. */
  maxRowsPerRead?: number;
  /** Windows kept between calls (default 10,000; the least recently used go first). */
  maxWindows?: number;
}

type Stream = 'health' | 'inference' | 'drift';

/** Rows are stored within this of their receive time; later than that they are not re-read. */
export const SETTLE_MS = 60_000;

interface Cursor {
  /** Rows received at or after this are read on the next call. */
  since: number;
  /** Keys of folded rows received at or after `since`. */
  seen: Map<string, number>;
}

interface Window {
  acc: WindowAccumulator;
  to: number;
  cursors: Record<Stream, Cursor>;
}

const rowKey = (row: StoredTelemetry) => `${row.bootId}\u0000${row.seq}`;

/**
 * Deployment statuses and window statistics read from the hub store.
 *
 * @example
 * const signals = new StoreSignals(store);
 * const [stats] = await signals.windowStats([{ deviceId, model: 'pm', version: '1.1.0', from, to: Date.now() }]);
 */
export class StoreSignals implements RolloutSignalsPort {
  readonly #store: HubStore;
  readonly #lookbackMs: number;
  readonly #pageSize: number;
  readonly #maxRows: number;
  readonly #maxWindows: number;
  // Map order is use order: a used window is deleted and set again.
  readonly #windows = new Map<string, Window>();

  constructor(store: HubStore, options: StoreSignalsOptions = {}) {
    this.#store = store;
    this.#lookbackMs = options.baselineLookbackMs ?? 10 * 60_000;
    this.#pageSize = options.pageSize ?? 1000;
    this.#maxRows = options.maxRowsPerRead ?? 10_000;
    this.#maxWindows = options.maxWindows ?? 10_000;
  }

  async latestStatuses(
    release: ReleaseRef,
    queries: readonly StatusQuery[],
  ): Promise<ReadonlyMap<string, DeviceStatusReport>> {
    const out = new Map<string, DeviceStatusReport>();
    if (queries.length === 0) return out;
    const rows = await this.#store.latestStatusesSince(release.name, release.version, queries);
    for (const row of rows) out.set(row.deviceId, statusReport(row));
    return out;
  }

  async windowStats(queries: readonly WindowQuery[]): Promise<readonly (WindowStats | null)[]> {
    const out: (WindowStats | null)[] = [];
    for (const q of queries) out.push(await this.#stats(q));
    return out;
  }

  async #stats(q: WindowQuery): Promise<WindowStats | null> {
    const key = `${q.deviceId}\u0000${q.model}\u0000${q.version}\u0000${q.from}`;
    let window = this.#windows.get(key);
    // A window that ends earlier than what was folded cannot be shrunk: start it again.
    if (window === undefined || q.to < window.to) window = this.#open(q);
    this.#windows.delete(key);
    this.#windows.set(key, window);
    while (this.#windows.size > this.#maxWindows) {
      const oldest = this.#windows.keys().next().value as string;
      this.#windows.delete(oldest);
    }
    window.to = q.to;
    window.acc.addHealth(await this.#read(q, 'health', window.cursors.health));
    window.acc.addInference(await this.#read(q, 'inference', window.cursors.inference));
    window.acc.addDrift(await this.#read(q, 'drift', window.cursors.drift));
    return window.acc.stats();
  }

  #open(q: WindowQuery): Window {
    const cursor = (since: number): Cursor => ({ since: Math.max(0, since), seen: new Map() });
    return {
      acc: new WindowAccumulator(q.model, q.version, q.from),
      to: q.to,
      cursors: {
        health: cursor(q.from - this.#lookbackMs),
        inference: cursor(q.from),
        drift: cursor(q.from),
      },
    };
  }

  /** The rows of `stream` in (cursor, to] not folded yet, oldest first; advances the cursor. */
  async #read(q: WindowQuery, stream: Stream, cursor: Cursor): Promise<StoredTelemetry[]> {
    const fresh: StoredTelemetry[] = [];
    let since = cursor.since;
    let read = 0;
    let truncated = false;
    for (;;) {
      if (read >= this.#maxRows) {
        truncated = true;
        break;
      }
      const page = await this.#store.listTelemetry({
        deviceId: q.deviceId,
        stream,
        since,
        until: q.to + 1,
        limit: Math.min(this.#pageSize, this.#maxRows - read),
      });
      read += page.length;
      for (const row of page) {
        const k = rowKey(row);
        if (cursor.seen.has(k)) continue;
        cursor.seen.set(k, row.receivedAt);
        fresh.push(row);
      }
      const last = page.at(-1);
      if (last === undefined || page.length < this.#pageSize) break;
      // The next page starts at the last row's time; rows seen at that time are skipped (a full
      // page of rows received in the same millisecond moves on by one).
      if (last.receivedAt === since) since += 1;
      else since = last.receivedAt;
    }
    // Cut short by the row bound: the rest is read next time, from where this read stopped.
    const settled = truncated ? since : Math.max(cursor.since, q.to - SETTLE_MS);
    for (const [k, at] of cursor.seen) if (at < settled) cursor.seen.delete(k);
    cursor.since = settled;
    return fresh;
  }
}
