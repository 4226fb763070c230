/** The hub's metrics (issue 5: devices online, messages in, rejects by reason, blob bytes, lag). */
import { MetricsRegistry } from './metrics-registry.js';
import type { Counter, Gauge } from './metrics-registry.js';

/** Why the hub dropped a message from a device; one label value of the rejects counter. */
export type RejectReason =
  | 'topic'
  | 'json'
  | 'schema'
  | 'too-large'
  | 'device-mismatch'
  | 'unknown-device'
  | 'revoked'
  | 'rate-limited'
  | 'blob-busy'
  | 'overloaded'
  | 'store'
  | 'internal';

/** The hub's named metric families. */
export interface HubMetrics {
  readonly registry: MetricsRegistry;
  readonly devicesOnline: Gauge;
  /** Messages received from devices, by topic kind. */
  readonly messagesIn: Counter;
  readonly rejects: Counter;
  readonly telemetryStored: Counter;
  readonly telemetryDuplicates: Counter;
  readonly blobBytesServed: Counter;
  readonly blobRequests: Counter;
  /** Largest `sentAt`-to-stored delay of the last flush, in ms. */
  readonly ingestLagMs: Gauge;
  readonly ingestLagMsSum: Counter;
  readonly ingestLagCount: Counter;
  readonly desiredPublished: Counter;
  /** `text()` of the registry. */
  text(): string;
}

/**
 * Creates the hub's metrics in a fresh registry.
 *
 * @example
 * const metrics = createHubMetrics();
 * metrics.rejects.inc({ reason: 'schema' });
 */
export function createHubMetrics(): HubMetrics {
  const r = new MetricsRegistry();
  const metrics: HubMetrics = {
    registry: r,
    devicesOnline: r.gauge(
      'edgefleet_hub_devices_online',
      'Devices online (birth seen, no death).',
    ),
    messagesIn: r.counter(
      'edgefleet_hub_messages_in_total',
      'MQTT messages received from devices, by topic kind.',
      ['kind'],
    ),
    rejects: r.counter('edgefleet_hub_rejects_total', 'Device messages dropped, by reason.', [
      'reason',
    ]),
    telemetryStored: r.counter(
      'edgefleet_hub_telemetry_stored_total',
      'Telemetry and status messages stored.',
    ),
    telemetryDuplicates: r.counter(
      'edgefleet_hub_telemetry_duplicates_total',
      'Telemetry and status messages already stored (same device, bootId and seq).',
    ),
    blobBytesServed: r.counter(
      'edgefleet_hub_blob_bytes_served_total',
      'Blob bytes sent to devices over MQTT.',
    ),
    blobRequests: r.counter(
      'edgefleet_hub_blob_requests_total',
      'Blob block requests answered over MQTT, by outcome.',
      ['outcome'],
    ),
    ingestLagMs: r.gauge(
      'edgefleet_hub_ingest_lag_ms',
      'Largest delay between a message being sent by a device and stored, in the last flush (ms).',
    ),
    ingestLagMsSum: r.counter(
      'edgefleet_hub_ingest_lag_ms_sum',
      'Sum of delays between device send time and storage (ms).',
    ),
    ingestLagCount: r.counter(
      'edgefleet_hub_ingest_lag_count',
      'Number of messages whose ingest delay is in edgefleet_hub_ingest_lag_ms_sum.',
    ),
    desiredPublished: r.counter(
      'edgefleet_hub_desired_published_total',
      'Signed desired-state documents published, by cause.',
      ['cause'],
    ),
    text: () => r.text(),
  };
  return metrics;
}
