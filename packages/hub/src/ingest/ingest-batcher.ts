/**
 * Micro-batching of telemetry and status into the store: messages are queued and written in
 * one transaction per batch (flushed at `maxBatch` items or after `maxDelayMs`), then each
 * device gets an ack of the seq ranges now stored ([P-AK-1], [P-AK-2]); duplicates are acked
 * too, since they are stored.
 */
import { rangesFromSeqs, topics } from '@edgefleet/protocol';
import type { Logger } from 'pino';
import type { HubMetrics } from '../metrics/hub-metrics.js';
import type { LastSeenTracker } from '../presence/last-seen-tracker.js';
import type { HubStore, IngestResult, TelemetryItem } from '../storage/hub-store.js';
import type { MessagePublisher } from './message-publisher.js';
import type { RejectTracker } from './reject-tracker.js';

/** One queued message. */
export interface PendingIngest {
  item: TelemetryItem;
  /** The device's send time (ms), for the ingest-lag metric. */
  sentAt: number;
}

/** What the batcher needs. */
export interface IngestBatcherDeps {
  store: HubStore;
  publish: MessagePublisher;
  metrics: HubMetrics;
  rejects: RejectTracker;
  lastSeen: LastSeenTracker;
  logger: Logger;
  maxBatch?: number;
  maxDelayMs?: number;
  /** Queue bound; beyond it messages are dropped as `overloaded` (and resent by the agent). */
  maxQueued?: number;
  now?: () => number;
}

const MAX_RANGES_PER_ACK = 1000;

/**
 * Queues messages and stores them in batches.
 *
 * @example
 * const batcher = new IngestBatcher({ store, publish, metrics, rejects, lastSeen, logger });
 * batcher.add({ item, sentAt });
 */
export class IngestBatcher {
  readonly #deps: IngestBatcherDeps;
  readonly #maxBatch: number;
  readonly #maxDelayMs: number;
  readonly #maxQueued: number;
  #queue: PendingIngest[] = [];
  #timer: NodeJS.Timeout | undefined;
  #draining: Promise<void> | undefined;

  constructor(deps: IngestBatcherDeps) {
    this.#deps = deps;
    this.#maxBatch = deps.maxBatch ?? 500;
    this.#maxDelayMs = deps.maxDelayMs ?? 5;
    this.#maxQueued = deps.maxQueued ?? 50_000;
  }

  #now(): number {
    return this.#deps.now?.() ?? Date.now();
  }

  /** Queues one message; false when the queue is full (the message is counted as dropped). */
  add(pending: PendingIngest): boolean {
    if (this.#queue.length >= this.#maxQueued) {
      this.#deps.rejects.reject(pending.item.deviceId, 'overloaded', 'ingest queue full');
      return false;
    }
    this.#queue.push(pending);
    if (this.#queue.length >= this.#maxBatch) void this.#drain();
    else this.#timer ??= setTimeout(() => void this.#drain(), this.#maxDelayMs);
    return true;
  }

  /** Stores everything queued so far. */
  async flush(): Promise<void> {
    do await this.#drain();
    while (this.#queue.length > 0);
  }

  /** Number of messages waiting. */
  get queued(): number {
    return this.#queue.length;
  }

  #drain(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#draining ??= (async () => {
      try {
        while (this.#queue.length > 0) {
          const batch = this.#queue.splice(0, this.#maxBatch);
          await this.#store(batch);
        }
      } finally {
        this.#draining = undefined;
        // Messages that arrived while the last batch was being acked wait for the next timer.
        if (this.#queue.length > 0) {
          this.#timer ??= setTimeout(() => void this.#drain(), this.#maxDelayMs);
        }
      }
    })();
    return this.#draining;
  }

  async #store(batch: PendingIngest[]): Promise<void> {
    const items = batch.map((p) => p.item);
    let results: (IngestResult | undefined)[];
    try {
      results = await this.#deps.store.ingestTelemetryBatch(items);
    } catch {
      // One bad item (or a failing disk) must not lose the others: retry one by one.
      results = await this.#oneByOne(items);
    }
    const storedAt = this.#now();
    const acks = new Map<string, { deviceId: string; bootId: string; seqs: number[] }>();
    let maxLag = 0;
    batch.forEach(({ item, sentAt }, i) => {
      const result = results[i];
      if (result === undefined) return;
      if (result === 'stored') {
        this.#deps.metrics.telemetryStored.inc();
        const lag = Math.max(0, storedAt - sentAt);
        maxLag = Math.max(maxLag, lag);
        this.#deps.metrics.ingestLagMsSum.inc({}, lag);
        this.#deps.metrics.ingestLagCount.inc();
      } else {
        this.#deps.metrics.telemetryDuplicates.inc();
      }
      this.#deps.lastSeen.seen(item.deviceId, item.receivedAt);
      const key = `${item.deviceId}\u0000${item.bootId}`;
      let ack = acks.get(key);
      if (ack === undefined) {
        ack = { deviceId: item.deviceId, bootId: item.bootId, seqs: [] };
        acks.set(key, ack);
      }
      ack.seqs.push(item.seq);
    });
    this.#deps.metrics.ingestLagMs.set(maxLag);
    const ts = new Date(storedAt).toISOString();
    for (const { deviceId, bootId, seqs } of acks.values()) {
      const ranges = rangesFromSeqs(seqs);
      for (let i = 0; i < ranges.length; i += MAX_RANGES_PER_ACK) {
        const payload = JSON.stringify({
          bootId,
          ranges: ranges.slice(i, i + MAX_RANGES_PER_ACK),
          ts,
        });
        this.#deps
          .publish(topics.ack(deviceId), payload, { qos: 1, retain: false })
          .catch((err) => {
            // The agent resends what stays unacked; the duplicate is acked then.
            this.#deps.logger.debug({ deviceId, err }, 'ack not published');
          });
      }
    }
  }

  async #oneByOne(items: TelemetryItem[]): Promise<(IngestResult | undefined)[]> {
    const out: (IngestResult | undefined)[] = [];
    for (const item of items) {
      try {
        out.push((await this.#deps.store.ingestTelemetryBatch([item]))[0]);
      } catch (err) {
        const detail = err instanceof Error ? err.message : String(err);
        this.#deps.rejects.reject(item.deviceId, 'store', detail);
        out.push(undefined);
      }
    }
    return out;
  }

  /** Stops the timer and stores what is queued. */
  async close(): Promise<void> {
    await this.flush();
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
