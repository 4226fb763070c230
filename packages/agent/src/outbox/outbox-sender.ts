/**
 * Sends the outbox over the agent link: formed batches first (resends keep their `(bootId,
 * seq)`), then new batches packed from unsent records, stream by stream in priority order, at
 * QoS 1, with at most `maxInFlight` batches published and not yet acked. Within a stream,
 * batches go out in the order they were formed, so on a clean path the hub receives them in
 * seq order ([P-AK-1]). An unacked batch is sent again after the ack timeout (doubling per
 * attempt, capped) and on every reconnect ([P-AK-2]).
 */
import { MAX_RECORDS_PER_BATCH, topics } from '@edgefleet/protocol';
import type { TelemetryStream } from '@edgefleet/protocol';
import type { AgentLink, AgentLogger } from '../link/agent-link-api.js';
import type { OutboxStream } from './outbox-api.js';
import { MAX_RECORD_BYTES, statusPayload, telemetryPayload } from './outbox-records.js';
import type { OutboxStore, StoredBatch } from './outbox-store.js';

export interface SenderOptions {
  readonly deviceId: string;
  /** Streams in send order. */
  readonly order: readonly OutboxStream[];
  readonly ackTimeoutMs: number;
  readonly maxAckTimeoutMs: number;
  readonly maxInFlight: number;
  readonly now: () => number;
  readonly logger: AgentLogger;
  /** Called when a store operation fails (already logged). */
  readonly onStoreError: (err: unknown) => void;
}

/** One run of the sender on one link; `stop()` ends it. */
export class OutboxSender {
  private running = true;
  private scheduled = false;

  constructor(
    private readonly store: OutboxStore,
    private readonly link: AgentLink,
    private readonly options: SenderOptions,
  ) {
    this.resetFlights();
  }

  /** Batches published and not yet acked or timed out. */
  get inFlight(): number {
    let n = 0;
    for (const b of this.store.formed.values()) if (b.flight !== 'idle') n += 1;
    return n;
  }

  /** Called on every (re)connection: everything unacked goes again, oldest first. */
  resetFlights(): void {
    for (const b of this.store.formed.values()) {
      if (b.flight === 'publishing') continue;
      b.flight = 'idle';
      b.attempts = 0;
    }
  }

  /** Makes batches whose ack is overdue sendable again. */
  expireFlights(): void {
    const now = this.options.now();
    for (const b of this.store.formed.values()) {
      if (b.flight === 'awaiting' && now - b.sentAtMs >= this.timeoutFor(b)) b.flight = 'idle';
    }
  }

  private timeoutFor(b: StoredBatch): number {
    const factor = 2 ** Math.max(0, Math.min(b.attempts - 1, 20));
    return Math.min(this.options.ackTimeoutMs * factor, this.options.maxAckTimeoutMs);
  }

  /** Schedules a pump on the next turn of the event loop (coalesced). */
  wake(): void {
    if (!this.running || this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  /** Publishes as many batches as the window allows. */
  pump(): void {
    if (!this.running) return;
    while (this.link.connected && this.inFlight < this.options.maxInFlight) {
      let next: { batch: StoredBatch; bodies?: string[] } | undefined;
      try {
        next = this.pickNext();
      } catch (err) {
        this.options.onStoreError(err);
        return;
      }
      if (!next) return;
      this.send(next.batch, next.bodies);
    }
  }

  private pickNext(): { batch: StoredBatch; bodies?: string[] } | undefined {
    for (const stream of this.options.order) {
      for (const b of this.store.formed.values()) {
        if (b.stream === stream && b.flight === 'idle') return { batch: b };
      }
      if (this.store.counts[stream].unsent > 0) {
        const formed =
          stream === 'status'
            ? this.store.formBatch(stream, 1, MAX_RECORD_BYTES)
            : this.store.formBatch(stream, MAX_RECORDS_PER_BATCH, MAX_RECORD_BYTES);
        if (formed) return formed;
      }
    }
    return undefined;
  }

  private send(batch: StoredBatch, bodies?: string[]): void {
    const { deviceId, now, logger } = this.options;
    let topic: string;
    let payload: string;
    try {
      const records = bodies ?? this.store.batchBodies(batch);
      if (batch.stream === 'status') {
        topic = topics.status(deviceId);
        payload = statusPayload(deviceId, batch.bootId, batch.seq, records[0] ?? '{}');
      } else {
        const stream = batch.stream as TelemetryStream;
        topic = topics.telemetry(deviceId, stream);
        const sentAt = new Date(now()).toISOString();
        payload = telemetryPayload(deviceId, batch.bootId, batch.seq, stream, sentAt, records);
      }
    } catch (err) {
      // Not sendable now (a read failed): retried after the ack timeout like a lost message.
      this.options.onStoreError(err);
      batch.flight = 'awaiting';
      batch.sentAtMs = now();
      return;
    }
    batch.flight = 'publishing';
    batch.attempts += 1;
    batch.sentAtMs = now();
    const current = () => this.store.formed.get(batch.id) === batch;
    this.link.publish(topic, payload, { qos: 1 }).then(
      () => {
        if (!current() || batch.flight !== 'publishing') return;
        batch.flight = 'awaiting';
        batch.sentAtMs = now();
      },
      (err: unknown) => {
        if (!current()) return;
        // Offline: idle until the reconnect sends it again. Connected but refused: waits for
        // the ack timeout rather than being retried in a tight loop.
        batch.flight = this.link.connected ? 'awaiting' : 'idle';
        batch.sentAtMs = now();
        logger.debug(
          {
            stream: batch.stream,
            seq: batch.seq,
            err: err instanceof Error ? err.message : String(err),
          },
          'outbox publish failed; will resend',
        );
        this.wake();
      },
    );
  }

  /** Stops sending; publishes already started settle on their own. */
  stop(): void {
    this.running = false;
  }
}
