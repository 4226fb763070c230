import { createHash, randomBytes } from 'node:crypto';
import {
  DEFAULT_BLOB_BLOCK_BYTES,
  decodeBlobResponse,
  MAX_BLOB_BLOCK_BYTES,
  topics,
} from '@edgefleet/protocol';
import type { BlobResponseHeader } from '@edgefleet/protocol';
import type { MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { BlobStore } from '../../src/blobs/blob-store.js';
import { HubKit, waitFor } from './hub-test-kit.js';

/** Downloads a blob the way an agent does: a window of block requests in flight. */
async function download(
  client: MqttClient,
  deviceId: string,
  sha256: string,
  size: number,
  window = 8,
): Promise<Buffer> {
  const out = Buffer.alloc(size);
  const pending = new Map<string, number>();
  let next = 0;
  let received = 0;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`download stalled at ${received}/${size}`)),
      60_000,
    );
    const request = () => {
      while (pending.size < window && next < size) {
        const requestId = `r-${next}`;
        const length = Math.min(DEFAULT_BLOB_BLOCK_BYTES, size - next);
        pending.set(requestId, next);
        next += length;
        client.publish(
          topics.blobReq(deviceId),
          JSON.stringify({ sha256, offset: pending.get(requestId), length, requestId }),
          { qos: 1 },
        );
      }
    };
    client.on('message', (topic, payload) => {
      if (topic !== topics.blobRes(deviceId)) return;
      const { header, bytes } = decodeBlobResponse(payload);
      if (header.error || !pending.has(header.requestId)) return;
      pending.delete(header.requestId);
      bytes.copy(out, header.offset);
      received += bytes.length;
      if (received === size) {
        clearTimeout(timer);
        resolve(out);
      } else request();
    });
    request();
  });
}

function nextFrame(
  client: MqttClient,
  deviceId: string,
): Promise<{ header: BlobResponseHeader; bytes: Buffer }> {
  return new Promise((resolve) => {
    const on = (topic: string, payload: Buffer) => {
      if (topic !== topics.blobRes(deviceId)) return;
      client.off('message', on);
      resolve(decodeBlobResponse(payload));
    };
    client.on('message', on);
  });
}

describe('blob transfer over MQTT (embedded broker)', () => {
  const kit = new HubKit();
  afterEach(() => kit.cleanup());

  it('serves a 20 MB blob in chunks to two devices with the sha256 intact', async () => {
    const hub = await kit.start();
    const bytes = randomBytes(20 * 1024 * 1024);
    const { sha256 } = await (await BlobStore.open(hub.dataDir)).put(bytes);
    const a = await kit.device(hub, 'edge-a');
    const b = await kit.device(hub, 'edge-b');
    const [gotA, gotB] = await Promise.all([
      download(a.client, a.id, sha256, bytes.length),
      download(b.client, b.id, sha256, bytes.length / 4),
    ]);
    expect(createHash('sha256').update(gotA).digest('hex')).toBe(sha256);
    expect(gotB.equals(bytes.subarray(0, bytes.length / 4))).toBe(true);
    await waitFor(
      () => hub.metrics.blobBytesServed.get() === bytes.length * 1.25,
      'served byte count',
    );
  }, 120_000);

  it('answers an unknown blob and an offset past the end with error frames, and caps big blocks', async () => {
    const hub = await kit.start();
    const d = await kit.device(hub, 'edge-c');
    const bytes = randomBytes(600_000);
    const { sha256 } = await (await BlobStore.open(hub.dataDir)).put(bytes);

    const ask = async (req: object) => {
      const frame = nextFrame(d.client, d.id);
      await d.client.publishAsync(topics.blobReq(d.id), JSON.stringify(req), { qos: 1 });
      return frame;
    };
    const missing = await ask({ sha256: '0'.repeat(64), offset: 0, length: 10, requestId: 'q1' });
    expect(missing.header).toMatchObject({
      requestId: 'q1',
      length: 0,
      error: { code: 'EF_HUB_BLOB_NOT_FOUND' },
    });

    const past = await ask({ sha256, offset: bytes.length, length: 10, requestId: 'q2' });
    expect(past.header.error?.code).toBe('EF_HUB_BLOB_INVALID_RANGE');
    expect(past.header.total).toBe(bytes.length);

    // 1 MiB is a legal request, but the frame must fit the broker's 256 KiB payload cap.
    const big = await ask({ sha256, offset: 100, length: MAX_BLOB_BLOCK_BYTES, requestId: 'q3' });
    expect(big.header.length).toBeGreaterThan(200_000);
    expect(big.header.length).toBeLessThan(256 * 1024);
    expect(big.bytes.equals(bytes.subarray(100, 100 + big.header.length))).toBe(true);

    const tail = await ask({ sha256, offset: bytes.length - 10, length: 64, requestId: 'q4' });
    expect(tail.header).toMatchObject({
      offset: bytes.length - 10,
      length: 10,
      total: bytes.length,
    });

    await d.client.publishAsync(topics.blobReq(d.id), '{"sha256":"nope"}', { qos: 1 });
    await waitFor(() => hub.metrics.rejects.get({ reason: 'schema' }) === 1, 'schema reject');
  });
});
