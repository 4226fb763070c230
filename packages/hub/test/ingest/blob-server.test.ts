import { randomBytes } from 'node:crypto';
import { decodeBlobResponse, topics } from '@edgefleet/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { waitFor } from '../hub/hub-test-kit.js';
import { ingestFixture } from './ingest-fixture.js';
import type { IngestFixture } from './ingest-fixture.js';

describe('BlobServer', () => {
  let fx: IngestFixture;
  beforeEach(async () => {
    // A slow publisher makes requests queue up, so the service order is visible.
    fx = await ingestFixture({ publishDelayMs: 5, blobConcurrency: 1 });
  });
  afterEach(() => fx.close());

  it('serves devices round-robin and bounds the requests of each device', async () => {
    const bytes = randomBytes(100_000);
    const { sha256 } = await fx.blobs.put(bytes);
    const req = (device: string, i: number) =>
      fx.ctx.blobServer.request(device, {
        sha256,
        offset: i * 1000,
        length: 1000,
        requestId: `${device}-${i}`,
      });
    const accepted = [0, 1, 2, 3, 4].map((i) => req('a', i));
    expect(accepted).toEqual([true, true, true, true, false]);
    expect(fx.ctx.metrics.rejects.get({ reason: 'blob-busy' })).toBe(1);
    for (let i = 0; i < 4; i++) req('b', i);
    await waitFor(() => fx.published.length === 8, 'eight responses');
    const order = fx.published.map((p) => (p.topic === topics.blobRes('a') ? 'a' : 'b'));
    // a0 was served at once; then the devices alternate until a runs out.
    expect(order.join('')).toBe('aabababb');
    for (const p of fx.published) {
      const { header, bytes: got } = decodeBlobResponse(p.payload);
      expect(got.equals(bytes.subarray(header.offset, header.offset + 1000))).toBe(true);
    }
    expect(fx.ctx.metrics.blobBytesServed.get()).toBe(8000);
    // Slots free up once served.
    expect(req('a', 9)).toBe(true);
  });
});
