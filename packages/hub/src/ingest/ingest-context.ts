/** What every message handler of the hub shares. */
import type { Logger } from 'pino';
import type { BlobServer } from './blob-server.js';
import type { DeviceGate } from './device-gate.js';
import type { IngestBatcher } from './ingest-batcher.js';
import type { RejectTracker } from './reject-tracker.js';
import type { TokenBuckets } from './token-buckets.js';
import type { HubMetrics } from '../metrics/hub-metrics.js';
import type { LastSeenTracker } from '../presence/last-seen-tracker.js';
import type { HubStore } from '../storage/hub-store.js';

/** The hub's ingest services, handed to each handler. */
export interface IngestContext {
  store: HubStore;
  gate: DeviceGate;
  limiter: TokenBuckets;
  batcher: IngestBatcher;
  blobServer: BlobServer;
  lastSeen: LastSeenTracker;
  rejects: RejectTracker;
  metrics: HubMetrics;
  logger: Logger;
  now: () => number;
}
