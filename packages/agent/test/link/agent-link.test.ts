import { afterEach, describe, expect, it } from 'vitest';
import { connect } from 'mqtt';
import type { MqttClient } from 'mqtt';
import { isEdgefleetError, parseBirth, parseDeath, topics } from '@edgefleet/protocol';
import type { Birth, Death } from '@edgefleet/protocol';
import { connectAgentLink } from '../../src/link/agent-link.js';
import type { AgentLinkOptions, ConnectedAgentLink } from '../../src/link/agent-link.js';
import { ReconnectBackoff } from '../../src/link/reconnect-backoff.js';
import {
  HUB_PASSWORD,
  HUB_USER,
  devicePassword,
  freePort,
  poll,
  startTestBroker,
} from './test-broker.js';
import type { TestBroker } from './test-broker.js';

const DEVICE = 'press-07';
const BOOT = '0f9c2b7e-1d4a-4c3b-9e8f-123456789abc';
const SHA = 'a'.repeat(64);

/** A hub-side MQTT client that records births and deaths. */
interface Watcher {
  client: MqttClient;
  births: Birth[];
  deaths: Death[];
}

describe('agent link', () => {
  const brokers: TestBroker[] = [];
  const links: ConnectedAgentLink[] = [];
  const clients: MqttClient[] = [];

  afterEach(async () => {
    await Promise.all(links.splice(0).map((l) => l.close()));
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
    await Promise.all(brokers.splice(0).map((b) => b.close()));
  });

  async function broker(port = 0): Promise<TestBroker> {
    const b = await startTestBroker(port);
    brokers.push(b);
    return b;
  }

  function link(url: string, extra: Partial<AgentLinkOptions> = {}): ConnectedAgentLink {
    const l = connectAgentLink({
      brokerUrl: url,
      deviceId: DEVICE,
      password: devicePassword(DEVICE),
      bootId: BOOT,
      agentVersion: '0.1.0',
      birth: () => ({ models: [{ name: 'pm', version: '1.0.0', sha256: SHA }] }),
      reconnectPeriodMs: 50,
      maxReconnectPeriodMs: 200,
      ...extra,
    });
    links.push(l);
    return l;
  }

  async function hubClient(url: string): Promise<MqttClient> {
    const client = connect(url, {
      protocolVersion: 4,
      username: HUB_USER,
      password: HUB_PASSWORD,
      clientId: `hub-${Math.random().toString(16).slice(2)}`,
      reconnectPeriod: 0,
    });
    clients.push(client);
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    return client;
  }

  async function watch(url: string): Promise<Watcher> {
    const client = await hubClient(url);
    const w: Watcher = { client, births: [], deaths: [] };
    client.on('message', (topic, payload) => {
      if (topic === topics.birth(DEVICE)) w.births.push(parseBirth(payload));
      if (topic === topics.death(DEVICE)) w.deaths.push(parseDeath(payload));
    });
    await client.subscribeAsync([topics.birth(DEVICE), topics.death(DEVICE)], { qos: 1 });
    return w;
  }

  it('connects, subscribes and announces itself with a birth on every connection', async () => {
    const b = await broker();
    const w = await watch(b.url);
    const l = link(b.url);
    let connects = 0;
    l.onConnect(() => (connects += 1));
    await poll('connected', () => l.connected);
    const birth = await poll('birth', () => w.births[0]);
    expect(birth).toMatchObject({ device: DEVICE, bootId: BOOT, agentVersion: '0.1.0' });
    expect(birth.models).toEqual([{ name: 'pm', version: '1.0.0', sha256: SHA }]);
    expect(connects).toBe(1);

    // The broker drops the device: the will says so, the link comes back and births again.
    await b.disconnectDevice(DEVICE);
    const death = await poll('will', () => w.deaths[0]);
    expect(death).toMatchObject({ device: DEVICE, bootId: BOOT, reason: 'connection lost' });
    await poll('second birth', () => w.births.length >= 2);
    await poll('reconnected', () => l.connected && connects === 2);
  });

  it('dispatches hub messages by kind, and a throwing handler harms nobody', async () => {
    const b = await broker();
    const hub = await hubClient(b.url);
    const l = link(b.url);
    const seen: string[] = [];
    l.onMessage('ack', () => {
      throw new Error('handler bug');
    });
    l.onMessage('ack', (_t, p) => seen.push(`ack:${p.toString()}`));
    l.onMessage('blob/res', (_t, p) => seen.push(`blob:${p.toString()}`));
    const off = l.onMessage('desired', (_t, p) => seen.push(`desired:${p.toString()}`));
    await poll('connected', () => l.connected);
    await hub.publishAsync(topics.ack(DEVICE), 'a1', { qos: 1 });
    await hub.publishAsync(topics.blobRes(DEVICE), 'b1', { qos: 1 });
    await hub.publishAsync(topics.desired(DEVICE), 'd1', { qos: 1 });
    await poll('three messages', () => seen.length === 3);
    expect(seen.sort()).toEqual(['ack:a1', 'blob:b1', 'desired:d1']);
    off();
    await hub.publishAsync(topics.desired(DEVICE), 'd2', { qos: 1 });
    await hub.publishAsync(topics.ack(DEVICE), 'a2', { qos: 1 });
    await poll('second ack', () => seen.includes('ack:a2'));
    expect(seen).not.toContain('desired:d2');
  });

  it('never throws while the broker is down; publishes refuse until it is up', async () => {
    const port = await freePort();
    const l = link(`mqtt://127.0.0.1:${port}`);
    expect(l.connected).toBe(false);
    const offline = await l.publish(topics.status(DEVICE), '{}').catch((e: unknown) => e);
    expect(isEdgefleetError(offline, 'EF_AGENT_LINK_OFFLINE')).toBe(true);

    const b = await broker(port);
    const w = await watch(b.url);
    await poll('connected after the broker came up', () => l.connected);
    await poll('birth', () => w.births.length > 0);
    await expect(l.publish(topics.birth(DEVICE), JSON.stringify(w.births[0]))).resolves.toBe(
      undefined,
    );
  });

  it('keeps retrying refused credentials without throwing, and closes cleanly', async () => {
    const b = await broker();
    const l = link(b.url, { password: 'wrong' });
    await poll('three refused attempts', () => (b.attempts.get(DEVICE) ?? 0) >= 3);
    expect(l.connected).toBe(false);
    await l.close();
  });

  it('says goodbye on close and refuses to publish afterwards', async () => {
    const b = await broker();
    const w = await watch(b.url);
    const l = link(b.url);
    await poll('connected', () => l.connected);
    await l.close();
    const death = await poll('death', () => w.deaths[0]);
    expect(death).toMatchObject({ device: DEVICE, bootId: BOOT, reason: 'shutdown' });
    expect(l.connected).toBe(false);
    const err = await l.publish(topics.status(DEVICE), '{}').catch((e: unknown) => e);
    expect(isEdgefleetError(err, 'EF_AGENT_LINK_CLOSED')).toBe(true);
  });

  it('refuses a message over the protocol cap instead of getting disconnected', async () => {
    const b = await broker();
    const l = link(b.url);
    await poll('connected', () => l.connected);
    const err = await l
      .publish(topics.telemetry(DEVICE, 'events'), Buffer.alloc(256 * 1024 + 1))
      .catch((e: unknown) => e);
    expect(isEdgefleetError(err, 'EF_AGENT_LINK_TOO_LARGE')).toBe(true);
    expect(l.connected).toBe(true);
  });

  it('refuses invalid options with a coded error', () => {
    const base = {
      brokerUrl: 'mqtt://127.0.0.1:1',
      deviceId: DEVICE,
      password: 'x',
      bootId: BOOT,
      agentVersion: '0.1.0',
      birth: () => ({ models: [] }),
    };
    for (const bad of [
      { deviceId: 'Bad/Id' },
      { bootId: 'short' },
      { brokerUrl: 'not a url' },
      { brokerUrl: 'http://hub:80' },
      { reconnectPeriodMs: 0 },
    ]) {
      expect(() => connectAgentLink({ ...base, ...bad })).toThrow(
        expect.objectContaining({ code: 'EF_AGENT_LINK_OPTIONS' }),
      );
    }
  });
});

describe('reconnect backoff', () => {
  it('doubles up to the cap, jitters by at most 20% and resets', () => {
    const mid = new ReconnectBackoff(1000, 5000, () => 0.5);
    expect([mid.next(), mid.next(), mid.next(), mid.next()]).toEqual([2000, 4000, 5000, 5000]);
    expect(mid.reset()).toBe(1000);
    const low = new ReconnectBackoff(1000, 5000, () => 0);
    const high = new ReconnectBackoff(1000, 5000, () => 1);
    expect(low.next()).toBe(1600);
    expect(high.next()).toBe(2400);
  });
});
