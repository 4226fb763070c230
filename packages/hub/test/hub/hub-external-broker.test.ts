import { parseHubState, topics } from '@edgefleet/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmbeddedBroker } from '../../src/broker/embedded-broker.js';
import type { EmbeddedBroker } from '../../src/broker/embedded-broker.js';
import { BOOT, HubKit, healthBatch, inboxOf, waitFor } from './hub-test-kit.js';

/**
 * A stand-in for Mosquitto: a separate broker that knows the hub's credentials and lets any
 * device id in with the password `pw` (as a broker with its own password file would).
 */
async function externalBroker(): Promise<EmbeddedBroker> {
  return startEmbeddedBroker({
    port: 0,
    authenticate: async (username, password) => {
      if (username === 'hub-user') return password === 'hub-pass' ? { kind: 'hub' } : undefined;
      return password === 'pw' ? { kind: 'device', deviceId: username } : undefined;
    },
  });
}

describe('hub on an external broker', () => {
  const kit = new HubKit();
  const brokers: EmbeddedBroker[] = [];
  afterEach(async () => {
    await kit.cleanup();
    for (const b of brokers.splice(0)) await b.close();
  });

  it('ingests through it, calls onRevoke, and refuses reports of a revoked device still connected', async () => {
    const broker = await externalBroker();
    brokers.push(broker);
    const revoked: string[] = [];
    const hub = await kit.start({
      brokerUrl: broker.url,
      brokerUsername: 'hub-user',
      brokerPassword: 'hub-pass',
      onRevoke: async (id) => {
        revoked.push(id);
      },
    });
    expect(hub.brokerUrl).toBe(broker.url);
    expect(hub.publicBrokerUrl).toBe(broker.url);
    await hub.api.enrollDevice('ext-1', {});
    const client = await kit.connect(hub, 'ext-1', 'pw');
    await client.subscribeAsync(topics.hubState(), { qos: 1 });
    expect(parseHubState(await inboxOf(client).take(topics.hubState())).state).toBe('online');

    await client.publishAsync(
      topics.telemetry('ext-1', 'health'),
      JSON.stringify(healthBatch('ext-1', 0)),
      { qos: 1 },
    );
    await inboxOf(client).take(topics.ack('ext-1'));
    expect(await hub.store.ackRanges('ext-1', BOOT)).toEqual([[0, 0]]);

    await hub.api.revokeDevice('ext-1');
    expect(revoked).toEqual(['ext-1']);
    await client.publishAsync(
      topics.telemetry('ext-1', 'health'),
      JSON.stringify(healthBatch('ext-1', 1)),
      { qos: 1 },
    );
    await waitFor(() => hub.metrics.rejects.get({ reason: 'revoked' }) === 1, 'revoked reject');
    expect(await hub.store.telemetryCount('ext-1')).toBe(1);

    // A clean hub shutdown leaves "offline" retained for devices.
    await hub.close();
    expect(parseHubState(await inboxOf(client).take(topics.hubState())).state).toBe('offline');
  });

  it('refuses wrong hub credentials with EF_HUB_BROKER_CONNECT', async () => {
    const broker = await externalBroker();
    brokers.push(broker);
    const err = kit.start({
      brokerUrl: broker.url,
      brokerUsername: 'hub-user',
      brokerPassword: 'wrong',
    });
    await expect(err).rejects.toMatchObject({ code: 'EF_HUB_BROKER_CONNECT' });
  });
});
