/**
 * What the rest of the agent needs from the outbox: a durable place to put a report, and its
 * figures for the health report. The outbox (`outbox.ts`) writes a report to SQLite before
 * `append` returns, sends it in batches at QoS 1 and deletes it only after the hub's ack
 * ([P-AK-1], [P-AK-2]).
 */
import type { TelemetryStream } from '@edgefleet/protocol';

/** `status` carries deployment status ([P-ST-1]) and is never dropped; the rest is telemetry. */
export type OutboxStream = 'status' | TelemetryStream;

/** A durable sink for reports. */
export interface ReportSink {
  /**
   * Stores one record (a deployment status without `device/bootId/seq`, `ts` optional, or one
   * telemetry record of the stream's schema) durably before returning. Throws
   * `EF_AGENT_OUTBOX_RECORD` for a record that could never be sent, `EF_AGENT_OUTBOX_FULL` or
   * `EF_AGENT_OUTBOX_IO` when the disk fails it. Telemetry may be dropped later under the
   * stream's byte cap or TTL (counted and reported); status never is.
   */
  append(stream: OutboxStream, record: Record<string, unknown>): void;
}

/** One stream's share of the outbox. */
export interface OutboxStreamStats {
  /** Records stored (not yet acked). */
  readonly depth: number;
  /** Bytes of their JSON. */
  readonly bytes: number;
  /** Records not yet packed into a batch. */
  readonly unsent: number;
  /** Records dropped over the byte cap, ever (persisted). */
  readonly dropped: number;
  /** Records dropped past their TTL, ever (persisted). */
  readonly expired: number;
}

/** The outbox's figures; `depth`, `bytes`, `dropped`, `expired` feed the health record ([P-TL-1]). */
export interface OutboxStats {
  readonly depth: number;
  readonly bytes: number;
  readonly dropped: number;
  readonly expired: number;
  /** Batches published and not yet acked (or not yet timed out). */
  readonly inFlight: number;
  /** Acks that could not be parsed since the outbox was opened. */
  readonly corruptAcks: number;
  readonly byStream: Readonly<Record<OutboxStream, OutboxStreamStats>>;
}

/** What the health reporter reads. */
export interface OutboxStatsSource {
  stats(): OutboxStats;
}
