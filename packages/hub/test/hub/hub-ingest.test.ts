import { parseAck, rangesContain, topics } from '@edgefleet/protocol';
import type { Ack } from '@edgefleet/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { BOOT, collect, HubKit, healthBatch, statusReport, waitFor } from './hub-test-kit.js';

const acked = (acks: unknown[], seq: number) =>
  acks.some((a) => rangesContain((a as Ack).ranges, seq));

describe('hub ingest over MQTT (embedded broker)', () => {
  const kit = new HubKit();
  afterEach(() => kit.cleanup());

  it('stores telemetry exactly once and acks the stored seq ranges', async () => {
    const hub = await kit.start();
    const d = await kit.device(hub, 'press-01');
    const acks = collect(d.client, topics.ack(d.id));
    for (const seq of [0, 1, 2, 5]) {
      await d.client.publishAsync(
        topics.telemetry(d.id, 'health'),
        JSON.stringify(healthBatch(d.id, seq)),
        { qos: 1 },
      );
    }
    await waitFor(() => [0, 1, 2, 5].every((s) => acked(acks, s)), 'acks for 0-2 and 5');
    for (const ack of acks) {
      expect(parseAck(JSON.stringify(ack)).bootId).toBe(BOOT);
      expect(acked([ack], 3) || acked([ack], 4)).toBe(false);
    }
    expect(await hub.store.telemetryCount('press-01')).toBe(4);
    expect(await hub.store.ackRanges('press-01', BOOT)).toEqual([
      [0, 2],
      [5, 5],
    ]);
    expect(hub.metrics.telemetryStored.get()).toBe(4);
    expect(hub.metrics.messagesIn.get({ kind: 'telemetry' })).toBe(4);
    const view = await waitFor(async () => {
      const v = await hub.api.getDevice('press-01');
      return v?.health !== null && v?.lastSeenAt !== null ? v : undefined;
    }, 'health and last seen in the device view');
    expect(view.health).toMatchObject({ cpu: 0.25 });
  });

  it('stores a burst of duplicates once, counts the duplicates and acks them all', async () => {
    const hub = await kit.start();
    const d = await kit.device(hub, 'press-02');
    const acks = collect(d.client, topics.ack(d.id));
    const topic = topics.telemetry(d.id, 'health');
    const sends: Promise<unknown>[] = [];
    for (let round = 0; round < 5; round++) {
      for (let seq = 0; seq < 100; seq++) {
        sends.push(
          d.client.publishAsync(topic, JSON.stringify(healthBatch(d.id, seq)), { qos: 1 }),
        );
      }
    }
    await Promise.all(sends);
    await waitFor(
      () => hub.metrics.telemetryStored.get() + hub.metrics.telemetryDuplicates.get() === 500,
      'all 500 messages handled',
    );
    expect(await hub.store.telemetryCount('press-02')).toBe(100);
    expect(hub.metrics.telemetryStored.get()).toBe(100);
    expect(hub.metrics.telemetryDuplicates.get()).toBe(400);
    expect(await hub.store.ackRanges('press-02', BOOT)).toEqual([[0, 99]]);
    await waitFor(
      () => Array.from({ length: 100 }, (_, s) => s).every((s) => acked(acks, s)),
      'every seq acked',
    );
    expect(await hub.api.metricsText()).toContain('edgefleet_hub_telemetry_duplicates_total 400');
  });

  it('records status reports (shared seq, acked) and presence in the device view', async () => {
    const hub = await kit.start();
    const d = await kit.device(hub, 'press-03');
    const acks = collect(d.client, topics.ack(d.id));
    const birth = {
      device: d.id,
      bootId: BOOT,
      ts: new Date().toISOString(),
      agentVersion: '0.1.0',
      arch: 'arm64',
      platform: 'linux',
      models: [{ name: 'pm', version: '0.9.0', sha256: 'cd'.repeat(32) }],
    };
    await d.client.publishAsync(topics.birth(d.id), JSON.stringify(birth), { qos: 1 });
    await waitFor(async () => (await hub.api.getDevice(d.id))?.online, 'device online');
    expect(hub.metrics.devicesOnline.get()).toBe(1);

    await d.client.publishAsync(
      topics.telemetry(d.id, 'health'),
      JSON.stringify(healthBatch(d.id, 0)),
      { qos: 1 },
    );
    for (const [seq, state] of [
      [1, 'downloading'],
      [2, 'verified'],
      [3, 'installed'],
    ] as const) {
      await d.client.publishAsync(
        topics.status(d.id),
        JSON.stringify(statusReport(d.id, seq, state)),
        { qos: 1 },
      );
    }
    await waitFor(() => [0, 1, 2, 3].every((s) => acked(acks, s)), 'telemetry and status acked');
    const view = await waitFor(async () => {
      const v = await hub.api.getDevice(d.id);
      return v?.deployments[0]?.state === 'installed' ? v : undefined;
    }, 'installed status');
    expect(view.deployments).toEqual([
      { model: 'pm', version: '1.0.0', state: 'installed', ts: expect.any(String) },
    ]);
    // The birth said 0.9.0; the later install report says 1.0.0 is running now.
    expect(view.models).toEqual([{ name: 'pm', version: '1.0.0', sha256: 'ab'.repeat(32) }]);
    expect((await hub.store.deploymentHistory(d.id, 'exec-1')).map((s) => s.state)).toEqual([
      'downloading',
      'verified',
      'installed',
    ]);

    const death = {
      device: d.id,
      bootId: BOOT,
      ts: new Date(Date.now() + 1000).toISOString(),
      reason: 'shutdown',
    };
    await d.client.publishAsync(topics.death(d.id), JSON.stringify(death), { qos: 1 });
    await waitFor(async () => (await hub.api.getDevice(d.id))?.online === false, 'device offline');
    expect(hub.metrics.devicesOnline.get()).toBe(0);
  });
});
