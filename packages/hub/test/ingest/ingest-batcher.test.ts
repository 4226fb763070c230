import { topics } from '@edgefleet/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TelemetryItem } from '../../src/storage/hub-store.js';
import { waitFor } from '../hub/hub-test-kit.js';
import { ingestFixture } from './ingest-fixture.js';
import type { IngestFixture } from './ingest-fixture.js';

const item = (
  deviceId: string,
  seq: number,
  extra: Partial<TelemetryItem> = {},
): TelemetryItem => ({
  deviceId,
  bootId: 'boot-0001',
  seq,
  stream: 'health',
  payloadJson: '{}',
  receivedAt: Date.now(),
  ...extra,
});

describe('IngestBatcher', () => {
  let fx: IngestFixture;
  beforeEach(async () => {
    fx = await ingestFixture();
    await fx.ctx.store.enrollDevice({ id: 'd1', tags: {}, secretHash: 'h', createdAt: 1 });
  });
  afterEach(() => fx.close());

  it('keeps the good items of a batch when one fails, and counts the failure', async () => {
    const { batcher, metrics } = fx.ctx;
    batcher.add({ item: item('d1', 1), sentAt: Date.now() });
    // Not enrolled: the store refuses it, so the whole transaction fails and is retried one by one.
    batcher.add({ item: item('ghost', 1), sentAt: Date.now() });
    batcher.add({ item: item('d1', 2, { receivedAt: -5 }), sentAt: Date.now() });
    batcher.add({ item: item('d1', 3), sentAt: Date.now() - 50 });
    await batcher.flush();
    expect(await fx.ctx.store.ackRanges('d1', 'boot-0001')).toEqual([
      [1, 1],
      [3, 3],
    ]);
    expect(metrics.rejects.get({ reason: 'store' })).toBe(2);
    expect(metrics.telemetryStored.get()).toBe(2);
    expect(metrics.ingestLagCount.get()).toBe(2);
    expect(metrics.ingestLagMs.get()).toBeGreaterThanOrEqual(50);
    await waitFor(() => fx.published.some((p) => p.topic === topics.ack('d1')), 'ack');
    expect(fx.published.some((p) => p.topic === topics.ack('ghost'))).toBe(false);
  });

  it('flushes by count and drops beyond the queue bound as overloaded', async () => {
    const { batcher, metrics } = fx.ctx;
    for (let seq = 0; seq < 1200; seq++) batcher.add({ item: item('d1', seq), sentAt: Date.now() });
    await batcher.flush();
    expect(await fx.ctx.store.telemetryCount('d1')).toBe(1200);
    expect(batcher.queued).toBe(0);
    expect(metrics.rejects.get({ reason: 'overloaded' })).toBe(0);
  });
});
