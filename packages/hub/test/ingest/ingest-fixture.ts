/**
 * An {@link IngestContext} on a real SQLite store and blob store with a recording publisher:
 * the handlers and the router are tested without a broker.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobStore } from '../../src/blobs/blob-store.js';
import { BlobServer } from '../../src/ingest/blob-server.js';
import { DeviceGate } from '../../src/ingest/device-gate.js';
import { IngestBatcher } from '../../src/ingest/ingest-batcher.js';
import type { IngestContext } from '../../src/ingest/ingest-context.js';
import type { MessagePublisher, PublishOptions } from '../../src/ingest/message-publisher.js';
import { RejectTracker } from '../../src/ingest/reject-tracker.js';
import { TokenBuckets } from '../../src/ingest/token-buckets.js';
import type { RateLimit } from '../../src/ingest/token-buckets.js';
import { createLogger } from '../../src/logging/create-logger.js';
import { createHubMetrics } from '../../src/metrics/hub-metrics.js';
import { LastSeenTracker } from '../../src/presence/last-seen-tracker.js';
import { SqliteHubStore } from '../../src/storage/sqlite-hub-store.js';

/** One published message. */
export interface Published {
  topic: string;
  payload: Buffer;
  options: PublishOptions;
}

/** A context plus what it published and a cleanup. */
export interface IngestFixture {
  ctx: IngestContext;
  blobs: BlobStore;
  published: Published[];
  publish: MessagePublisher;
  close(): Promise<void>;
}

/** Builds the fixture; `limit` sets the device rate limit. */
export async function ingestFixture(
  options: {
    limit?: RateLimit;
    publishDelayMs?: number;
    maxPayloadBytes?: number;
    blobConcurrency?: number;
  } = {},
): Promise<IngestFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'ef-hub-ingest-'));
  const store = SqliteHubStore.open(join(dir, 'hub.db'));
  const blobs = await BlobStore.open(dir);
  const logger = createLogger(false);
  const metrics = createHubMetrics();
  const published: Published[] = [];
  const publish: MessagePublisher = async (topic, payload, opts) => {
    if (options.publishDelayMs !== undefined) {
      await new Promise((resolve) => setTimeout(resolve, options.publishDelayMs));
    }
    published.push({ topic, payload: Buffer.from(payload), options: opts });
  };
  const rejects = new RejectTracker(metrics, logger);
  const lastSeen = new LastSeenTracker(store, logger);
  const ctx: IngestContext = {
    store,
    gate: new DeviceGate(store),
    limiter: new TokenBuckets(options.limit),
    batcher: new IngestBatcher({ store, publish, metrics, rejects, lastSeen, logger }),
    blobServer: new BlobServer({
      blobs,
      publish,
      metrics,
      rejects,
      logger,
      maxPayloadBytes: options.maxPayloadBytes ?? 256 * 1024,
      maxPerDevice: 4,
      concurrency: options.blobConcurrency ?? 2,
    }),
    lastSeen,
    rejects,
    metrics,
    logger,
    now: Date.now,
  };
  return {
    ctx,
    blobs,
    published,
    publish,
    async close() {
      await ctx.blobServer.close();
      await ctx.batcher.close();
      await lastSeen.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
