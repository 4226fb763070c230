import { mergeRanges, parseAck, topics } from '@edgefleet/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMessageRouter } from '../../src/ingest/message-router.js';
import { BOOT, healthBatch, statusReport, waitFor } from '../hub/hub-test-kit.js';
import { ingestFixture } from './ingest-fixture.js';
import type { IngestFixture } from './ingest-fixture.js';

const enroll = (fx: IngestFixture, id: string) =>
  fx.ctx.store.enrollDevice({ id, tags: {}, secretHash: 'h', createdAt: 1 });

describe('message router', () => {
  let fx: IngestFixture;
  let route: (topic: string, payload: Buffer) => void;
  const reason = (r: string) => fx.ctx.metrics.rejects.get({ reason: r });

  beforeEach(async () => {
    fx = await ingestFixture({ limit: { ratePerSecond: 0.001, burst: 3 } });
    route = createMessageRouter(fx.ctx, { maxPayloadBytes: 4096 });
    await enroll(fx, 'd1');
  });
  afterEach(() => fx.close());

  const send = (topic: string, body: unknown) =>
    route(topic, Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)));

  it('counts every kind of bad input by reason and never throws', async () => {
    send('ef/v1/d/d1/tel/bogus', {});
    send('ef/v1/d/D1/status', {});
    send('something/else', {});
    send(topics.desired('d1'), {});
    send(topics.ack('d1'), {});
    send(topics.telemetry('d1', 'health'), 'x'.repeat(5000));
    send(topics.telemetry('d1', 'health'), '{');
    send(topics.telemetry('d1', 'health'), { device: 'd1' });
    send(topics.telemetry('d2', 'health'), healthBatch('d2', 0));
    send(topics.telemetry('d1', 'health'), healthBatch('d2', 0));
    await fx.ctx.store.enrollDevice({ id: 'gone', tags: {}, secretHash: 'h', createdAt: 1 });
    await fx.ctx.store.revokeDevice('gone', 2);
    send(topics.status('gone'), statusReport('gone', 0, 'pending'));
    send(topics.blobReq('gone'), { sha256: 'a'.repeat(64), offset: 0, length: 1, requestId: 'r' });
    await waitFor(() => reason('revoked') === 2, 'revoked rejects');
    expect(reason('topic')).toBe(5);
    expect(reason('too-large')).toBe(1);
    expect(reason('json')).toBe(1);
    expect(reason('schema')).toBe(1);
    expect(reason('unknown-device')).toBe(1);
    expect(reason('device-mismatch')).toBe(1);
    expect(reason('internal')).toBe(0);
    expect(fx.ctx.metrics.messagesIn.get({ kind: 'unknown' })).toBe(3);
    await fx.ctx.batcher.flush();
    expect(await fx.ctx.store.telemetryCount()).toBe(0);
  });

  it('rate-limits per device after the burst', async () => {
    for (let seq = 0; seq < 6; seq++)
      send(topics.telemetry('d1', 'health'), healthBatch('d1', seq));
    await waitFor(() => reason('rate-limited') === 3, 'three rate-limited');
    await fx.ctx.batcher.flush();
    expect(await fx.ctx.store.telemetryCount('d1')).toBe(3);
  });

  it('stores status and telemetry on one seq line and acks both', async () => {
    send(topics.status('d1'), statusReport('d1', 0, 'downloading'));
    send(topics.telemetry('d1', 'health'), healthBatch('d1', 1));
    await waitFor(() => fx.published.some((p) => p.topic === topics.ack('d1')), 'an ack');
    await fx.ctx.batcher.flush();
    const ranges = mergeRanges(
      fx.published
        .filter((p) => p.topic === topics.ack('d1'))
        .flatMap((p) => parseAck(p.payload).ranges),
    );
    expect(ranges).toEqual([[0, 1]]);
    expect(fx.published.find((p) => p.topic === topics.ack('d1'))?.options).toEqual({
      qos: 1,
      retain: false,
    });
    expect((await fx.ctx.store.latestDeployments(['d1']))[0]?.state).toBe('downloading');
    expect(await fx.ctx.store.ackRanges('d1', BOOT)).toEqual([[0, 1]]);
  });

  it('logs a reject once per device and reason per minute', async () => {
    const logged: boolean[] = [];
    for (let i = 0; i < 3; i++) logged.push(fx.ctx.rejects.reject('d1', 'schema', 'x'));
    logged.push(fx.ctx.rejects.reject('d2', 'schema', 'x'));
    logged.push(fx.ctx.rejects.reject('d1', 'json', 'x'));
    expect(logged).toEqual([true, false, false, true, true]);
    expect(reason('schema')).toBe(4);
  });
});
