/**
 * Regression: a timer-started drain that found the queue already emptied (by a flush or a
 * drain in progress) used to leave a settled promise as "the drain in progress", after which
 * nothing queued was ever stored. Seen as a stalled telemetry benchmark on Mosquitto.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IngestBatcher } from '../../src/ingest/ingest-batcher.js';
import type { MessagePublisher } from '../../src/ingest/message-publisher.js';
import { RejectTracker } from '../../src/ingest/reject-tracker.js';
import { createLogger } from '../../src/logging/create-logger.js';
import { createHubMetrics } from '../../src/metrics/hub-metrics.js';
import { LastSeenTracker } from '../../src/presence/last-seen-tracker.js';
import type { TelemetryItem } from '../../src/storage/hub-store.js';
import { SqliteHubStore } from '../../src/storage/sqlite-hub-store.js';
import { waitFor } from '../hub/hub-test-kit.js';

const item = (seq: number): TelemetryItem => ({
  deviceId: 'd1',
  bootId: 'boot-0001',
  seq,
  stream: 'health',
  payloadJson: '{}',
  receivedAt: Date.now(),
});

describe('IngestBatcher drain', () => {
  let dir: string;
  let store: SqliteHubStore;
  let lastSeen: LastSeenTracker;
  let batcher: IngestBatcher;
  const acks: string[] = [];
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ef-hub-drain-'));
    store = SqliteHubStore.open(join(dir, 'hub.db'));
    await store.enrollDevice({ id: 'd1', tags: {}, secretHash: 'h', createdAt: 1 });
    const logger = createLogger(false);
    const metrics = createHubMetrics();
    const publish: MessagePublisher = async (topic) => {
      acks.push(topic);
    };
    lastSeen = new LastSeenTracker(store, logger);
    batcher = new IngestBatcher({
      store,
      publish,
      metrics,
      rejects: new RejectTracker(metrics, logger),
      lastSeen,
      logger,
      maxDelayMs: 1,
    });
  });
  afterEach(async () => {
    await batcher.close();
    await lastSeen.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps storing after a timer finds the queue already drained', async () => {
    batcher.add({ item: item(0), sentAt: Date.now() });
    const flushing = batcher.flush();
    // Queued while the flush's batch is being stored: arms the timer, but the running drain
    // takes this one too, so the timer fires on an empty queue.
    batcher.add({ item: item(1), sentAt: Date.now() });
    await flushing;
    await new Promise((resolve) => setTimeout(resolve, 20));
    for (let seq = 2; seq < 5; seq++) batcher.add({ item: item(seq), sentAt: Date.now() });
    await waitFor(async () => (await store.telemetryCount('d1')) === 5, 'all five stored', 5000);
    expect(batcher.queued).toBe(0);
    expect(await store.ackRanges('d1', 'boot-0001')).toEqual([[0, 4]]);
    expect(acks.length).toBeGreaterThan(0);
  });

  it('stores what arrives during a flush before the flush resolves', async () => {
    const flushes: Promise<void>[] = [];
    for (let seq = 0; seq < 50; seq++) {
      batcher.add({ item: item(seq), sentAt: Date.now() });
      if (seq % 7 === 0) flushes.push(batcher.flush());
    }
    await Promise.all(flushes);
    await batcher.flush();
    expect(await store.telemetryCount('d1')).toBe(50);
  });
});
