/**
 * What the rest of the agent needs from the outbox: a durable place to put a report. The
 * outbox (`outbox.ts`) writes it to SQLite before `append` returns, sends it in batches at QoS 1
 * and deletes it only after the hub's ack ([P-AK-1], [P-AK-2]).
 */
import type { TelemetryStream } from '@edgefleet/protocol';

/** `status` carries deployment status ([P-ST-1]) and is never dropped; the rest is telemetry. */
export type OutboxStream = 'status' | TelemetryStream;

/** A durable sink for reports. */
export interface ReportSink {
  /**
   * Stores one record (a deployment status without `device/bootId/seq`, or one telemetry
   * record) durably before returning. Telemetry may be dropped later under the stream's byte
   * cap or TTL (counted); status never is.
   */
  append(stream: OutboxStream, record: Record<string, unknown>): void;
}
