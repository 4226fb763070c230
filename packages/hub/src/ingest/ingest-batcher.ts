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
    // Started only with work queued, and cleared by a callback rather than inside the loop: a
    // loop that finished before `#draining` was assigned would otherwise leave a settled
    // promise there for good, and nothing queued afterwards would ever be stored.
    if (this.#draining === undefined && this.#queue.length > 0) {
      const run = this.#storeQueued();
      this.#draining = run;
      const done = () => {
        if (this.#draining === run) this.#draining = undefined;
        // Messages that arrived while the last batch was being acked wait for the next timer.
        if (this.#queue.length > 0) {
          this.#timer ??= setTimeout(() => void this.#drain(), this.#maxDelayMs);
        }
      };
      void run.then(done, done);
    }
    return this.#draining ?? Promise.resolve();
  }

  async #storeQueued(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#maxBatch);
      try {
        await this.#store(batch);
      } catch (err) {
        // Only a bug gets here (store failures are handled per item); never stall the queue.
        this.#deps.logger.error({ err }, 'telemetry batch not handled');
        for (const { item } of batch)
          this.#deps.rejects.reject(item.deviceId, 'internal', String(err));
      }
    }
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
    const acks = new Map<
      string,
      { deviceId: string; bootId: string; seqs: number[]; lastSeen: number }
    >();
    let maxLag = 0;
    let lagSum = 0;
    let stored = 0;
    let duplicates = 0;
    // Counters, last-seen and acks are updated once per batch (per device), not per message.
    batch.forEach(({ item, sentAt }, i) => {
      const result = results[i];
      if (result === undefined) return;
      if (result === 'stored') {
        stored += 1;
        const lag = Math.max(0, storedAt - sentAt);
        if (lag > maxLag) maxLag = lag;
        lagSum += lag;
      } else {
        duplicates += 1;
      }
      const key = `${item.deviceId}\u0000${item.bootId}`;
      let ack = acks.get(key);
      if (ack === undefined) {
        ack = { deviceId: item.deviceId, bootId: item.bootId, seqs: [], lastSeen: item.receivedAt };
        acks.set(key, ack);
      } else if (item.receivedAt > ack.lastSeen) {
        ack.lastSeen = item.receivedAt;
      }
      ack.seqs.push(item.seq);
    });
    const { metrics } = this.#deps;
    if (stored > 0) {
      metrics.telemetryStored.inc({}, stored);
      metrics.ingestLagMsSum.inc({}, lagSum);
      metrics.ingestLagCount.inc({}, stored);
    }
    if (duplicates > 0) metrics.telemetryDuplicates.inc({}, duplicates);
    for (const ack of acks.values()) this.#deps.lastSeen.seen(ack.deviceId, ack.lastSeen);
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
