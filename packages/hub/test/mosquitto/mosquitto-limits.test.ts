/**
 * What the generated mosquitto.conf changes, checked on a real Mosquitto 2.0: packet size limit,
 * queue limits, and the MQTT 5 answer to a denied publish (DESIGN section 5).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { topics } from '@edgefleet/protocol';
import { startMosquitto } from '../../../../test/helpers/mosquitto.js';
import type { RunningMosquitto } from '../../../../test/helpers/mosquitto.js';
import { generateDeviceSecret, hashDeviceSecret } from '../../src/broker/device-secrets.js';
import { DEFAULT_MAX_PAYLOAD_BYTES } from '../../src/broker/embedded-broker.js';
import { ClientPool, nextClose, nextMessage } from '../broker/helpers.js';

const BURST = 20_000;

describe('generated Mosquitto limits', () => {
  let dir: string;
  let broker: RunningMosquitto;
  const pool = new ClientPool();
  const secrets = { device: generateDeviceSecret(), hub: generateDeviceSecret() };
  const hashes = { device: '', hub: '' };

  const device = (extra = {}) => pool.connect(broker.url, 'press-07', secrets.device, extra);
  const hub = () => pool.connect(broker.url, '_hub', secrets.hub);

  beforeAll(async () => {
    hashes.device = await hashDeviceSecret(secrets.device);
    hashes.hub = await hashDeviceSecret(secrets.hub);
  });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ef-mosquitto-limits-'));
    broker = await startMosquitto({
      dir,
      devices: [{ id: 'press-07', secretHash: hashes.device, revoked: false }],
      hub: { username: '_hub', secretHash: hashes.hub },
    });
  });

  afterEach(async () => {
    await pool.closeAll();
    await broker.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('passes a payload as large as the embedded broker allows and disconnects a larger one', async () => {
    const h = await hub();
    await h.subscribeAsync(topics.blobReq('press-07'), { qos: 1 });
    const d = await device();
    const got = nextMessage(h, topics.blobReq('press-07'));
    await d.publishAsync(topics.blobReq('press-07'), Buffer.alloc(DEFAULT_MAX_PAYLOAD_BYTES, 7), {
      qos: 1,
    });
    expect((await got).length).toBe(DEFAULT_MAX_PAYLOAD_BYTES);

    const closed = nextClose(d);
    d.publish(topics.blobReq('press-07'), Buffer.alloc(DEFAULT_MAX_PAYLOAD_BYTES + 8192, 7), {
      qos: 1,
    });
    await closed;
  });

  it(`delivers a ${BURST}-message QoS 1 burst to the hub completely`, async () => {
    // Far above the defaults (20 in flight + 1000 queued) that dropped messages here.
    const h = await hub();
    const topic = topics.telemetry('press-07', 'health');
    await h.subscribeAsync(topic, { qos: 1 });
    const seen = new Set<number>();
    const MARKER = 0xffffffff;
    // Queued after every burst message, so it arrives last unless the queue overflowed.
    const marker = new Promise<void>((resolve) => {
      h.on('message', (_t: string, payload: Buffer) => {
        const i = payload.readUInt32BE(0);
        if (i === MARKER) resolve();
        else seen.add(i);
      });
    });
    const d = await device();
    const message = (i: number) => {
      const payload = Buffer.alloc(64);
      payload.writeUInt32BE(i, 0);
      return payload;
    };
    await Promise.all(
      Array.from({ length: BURST }, (_, i) => d.publishAsync(topic, message(i), { qos: 1 })),
    );
    await d.publishAsync(topic, message(MARKER), { qos: 1 });
    await marker;
    expect(seen.size).toBe(BURST);
  }, 90_000);

  it('answers a denied MQTT 5 publish with PUBACK reason 135 and keeps the client', async () => {
    const d = await device({ protocolVersion: 5 });
    const err = await d.publishAsync(topics.hubState(), 'forged', { qos: 1 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 135 });
    expect(d.connected).toBe(true);
    await d.publishAsync(topics.status('press-07'), 'ok', { qos: 1 });
  });
});
