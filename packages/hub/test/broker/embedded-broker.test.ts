import { connect as netConnect } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isEdgefleetError, topics } from '@edgefleet/protocol';
import type { MqttClient } from 'mqtt';
import type { BrokerPrincipal } from '../../src/broker/broker-acl.js';
import {
  generateDeviceSecret,
  hashDeviceSecret,
  verifyDeviceSecret,
} from '../../src/broker/device-secrets.js';
import { startEmbeddedBroker } from '../../src/broker/embedded-broker.js';
import type { EmbeddedBroker, EmbeddedBrokerOptions } from '../../src/broker/embedded-broker.js';
import { ClientPool, eventWithin, nextClose, nextEvent, nextMessage } from './helpers.js';

// The hub's own client uses a username that can never be a device id ([P-TP-2]).
const HUB_USER = '_hub';
const HUB_TOKEN = generateDeviceSecret();
const ABSENT_MS = 300;

interface Fleet {
  secrets: Map<string, string>;
  hashes: Map<string, string>;
  revoked: Set<string>;
}

async function makeFleet(ids: string[]): Promise<Fleet> {
  const secrets = new Map<string, string>();
  const hashes = new Map<string, string>();
  for (const id of ids) {
    const s = generateDeviceSecret();
    secrets.set(id, s);
    hashes.set(id, await hashDeviceSecret(s));
  }
  return { secrets, hashes, revoked: new Set() };
}

function authenticator(fleet: Fleet): EmbeddedBrokerOptions['authenticate'] {
  return async (username, password) => {
    if (username === HUB_USER) return password === HUB_TOKEN ? { kind: 'hub' } : undefined;
    const hash = fleet.hashes.get(username);
    if (!hash || fleet.revoked.has(username)) return undefined;
    const ok = await verifyDeviceSecret(password, hash);
    return ok ? ({ kind: 'device', deviceId: username } satisfies BrokerPrincipal) : undefined;
  };
}

describe('embedded broker', () => {
  let fleet: Fleet;
  const brokers: EmbeddedBroker[] = [];
  const pool = new ClientPool();

  async function start(extra: Partial<EmbeddedBrokerOptions> = {}): Promise<EmbeddedBroker> {
    const broker = await startEmbeddedBroker({
      port: 0,
      authenticate: authenticator(fleet),
      ...extra,
    });
    brokers.push(broker);
    return broker;
  }

  const device = (broker: EmbeddedBroker, id: string) =>
    pool.connect(broker.url, id, fleet.secrets.get(id) ?? 'none');
  const hubClient = (broker: EmbeddedBroker) => pool.connect(broker.url, HUB_USER, HUB_TOKEN);

  /** The granted QoS for `filter` (128 = refused; mqtt.js reports that as an error). */
  async function subscribe(client: MqttClient, filter: string): Promise<number> {
    try {
      const granted = await client.subscribeAsync(filter, { qos: 1 });
      return granted[0]?.qos ?? -1;
    } catch (err) {
      const packet = (err as { packet?: { granted?: unknown[] } }).packet;
      const first = packet?.granted?.[0];
      if (typeof first === 'number') return first;
      throw err;
    }
  }

  beforeEach(async () => {
    fleet = await makeFleet(['dev-a', 'dev-b']);
  });

  afterEach(async () => {
    await pool.closeAll();
    await Promise.all(brokers.splice(0).map((b) => b.close()));
  });

  it('listens on a free port and accepts a device with the right secret', async () => {
    const broker = await start();
    expect(broker.port).toBeGreaterThan(0);
    expect(broker.url).toBe(`mqtt://127.0.0.1:${broker.port}`);
    const a = await device(broker, 'dev-a');
    expect(a.connected).toBe(true);
  });

  it('refuses a wrong secret, an unknown device and a username that is not the id', async () => {
    const broker = await start();
    const refused = (p: Promise<unknown>) =>
      expect(p).rejects.toMatchObject({
        code: 5,
        message: expect.stringMatching(/not authorized/i),
      });
    await refused(pool.connect(broker.url, 'dev-a', fleet.secrets.get('dev-b') ?? ''));
    await refused(pool.connect(broker.url, 'dev-z', generateDeviceSecret()));
    await refused(pool.connect(broker.url, HUB_USER, 'wrong'));
    const lying = await startEmbeddedBroker({
      port: 0,
      authenticate: async () => ({ kind: 'device', deviceId: 'dev-b' }),
    });
    brokers.push(lying);
    await refused(pool.connect(lying.url, 'dev-a', 'x'));
  });

  it("does not deliver device B's messages to device A", async () => {
    const broker = await start();
    const hub = await hubClient(broker);
    const a = await device(broker, 'dev-a');
    expect(await subscribe(a, 'ef/v1/d/dev-b/#')).toBe(128);
    expect(await subscribe(a, topics.desired('dev-b'))).toBe(128);
    expect(await subscribe(a, 'ef/v1/d/+/desired')).toBe(128);
    expect(await subscribe(a, '#')).toBe(128);
    expect(await subscribe(a, topics.desired('dev-a'))).toBe(1);

    const leaked = nextMessage(a, topics.desired('dev-b'), ABSENT_MS).then(
      () => true,
      () => false,
    );
    const own = nextMessage(a, topics.desired('dev-a'));
    await hub.publishAsync(topics.desired('dev-b'), 'for b', { qos: 1 });
    await hub.publishAsync(topics.desired('dev-a'), 'for a', { qos: 1 });
    expect((await own).toString()).toBe('for a');
    expect(await leaked).toBe(false);
    expect(a.connected).toBe(true);
  });

  it("disconnects device A when it publishes on device B's status topic", async () => {
    const broker = await start();
    const hub = await hubClient(broker);
    expect(await subscribe(hub, 'ef/v1/d/+/status')).toBe(1);
    const a = await device(broker, 'dev-a');
    const got = nextMessage(hub, topics.status('dev-b'), ABSENT_MS).then(
      () => true,
      () => false,
    );
    const closed = nextClose(a);
    a.publish(topics.status('dev-b'), 'forged', { qos: 1 });
    await closed;
    expect(await got).toBe(false);

    // Positive control: its own status topic reaches the hub.
    const a2 = await device(broker, 'dev-a');
    const own = nextMessage(hub, topics.status('dev-a'));
    await a2.publishAsync(topics.status('dev-a'), 'ok', { qos: 1 });
    expect((await own).toString()).toBe('ok');
  });

  it("publishes a device's will on its own death topic only", async () => {
    const broker = await start();
    const hub = await hubClient(broker);
    expect(await subscribe(hub, 'ef/v1/d/+/death')).toBe(1);
    const forged = nextMessage(hub, topics.death('dev-b'), ABSENT_MS).then(
      () => true,
      () => false,
    );
    const own = nextMessage(hub, topics.death('dev-a'));
    const liar = await pool.connect(broker.url, 'dev-a', fleet.secrets.get('dev-a') ?? '', {
      will: { topic: topics.death('dev-b'), payload: Buffer.from('forged'), qos: 1, retain: false },
    });
    const honest = await pool.connect(broker.url, 'dev-a', fleet.secrets.get('dev-a') ?? '', {
      will: { topic: topics.death('dev-a'), payload: Buffer.from('gone'), qos: 1, retain: false },
    });
    // Dropping the TCP connections without DISCONNECT makes the broker publish the wills.
    liar.stream.destroy();
    honest.stream.destroy();
    expect((await own).toString()).toBe('gone');
    expect(await forged).toBe(false);
  });

  it('lets a device read ef/v1/hub/state but not publish it', async () => {
    const broker = await start();
    const hub = await hubClient(broker);
    await hub.publishAsync(topics.hubState(), 'online', { qos: 1, retain: true });
    const a = await device(broker, 'dev-a');
    const retained = nextMessage(a, topics.hubState());
    expect(await subscribe(a, topics.hubState())).toBe(1);
    expect((await retained).toString()).toBe('online');

    const closed = nextClose(a);
    a.publish(topics.hubState(), 'offline', { qos: 1, retain: true });
    await closed;

    const b = await device(broker, 'dev-b');
    const again = nextMessage(b, topics.hubState());
    await subscribe(b, topics.hubState());
    expect((await again).toString()).toBe('online');
  });

  it('disconnects a revoked device and refuses it afterwards', async () => {
    const broker = await start();
    const a = await device(broker, 'dev-a');
    const b = await device(broker, 'dev-b');
    fleet.revoked.add('dev-a');
    const closed = nextClose(a);
    expect(await broker.disconnectDevice('dev-a')).toBe(1);
    await closed;
    expect(await broker.disconnectDevice('dev-a')).toBe(0);
    await expect(device(broker, 'dev-a')).rejects.toMatchObject({ code: 5 });
    expect(b.connected).toBe(true);
  });

  it('reports a port already in use with EF_HUB_BROKER_PORT_IN_USE', async () => {
    const first = await start();
    const err = await start({ port: first.port }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isEdgefleetError(err, 'EF_HUB_BROKER_PORT_IN_USE')).toBe(true);
    expect((err as Error).message).toMatch(/--broker mqtt:\/\//);
    expect((err as Error).message).toMatch(/--mqtt-port/);
    // The first broker still works.
    await device(first, 'dev-a');
  });

  it('refuses oversized publishes, both just over the limit and far over it', async () => {
    const broker = await start({ maxPayloadBytes: 1024 });
    const hub = await hubClient(broker);
    expect(await subscribe(hub, 'ef/v1/d/+/tel/+')).toBe(1);
    const topic = topics.telemetry('dev-a', 'health');

    const a = await device(broker, 'dev-a');
    const small = nextMessage(hub, topic);
    await a.publishAsync(topic, Buffer.alloc(1024, 1), { qos: 1 });
    expect((await small).length).toBe(1024);

    for (const size of [1025, 2 * 1024 * 1024]) {
      const client = await device(broker, 'dev-a');
      const got = nextMessage(hub, topic, ABSENT_MS).then(
        () => true,
        () => false,
      );
      const closed = nextClose(client);
      client.publish(topic, Buffer.alloc(size, 2), { qos: 1 });
      await closed;
      expect(await got, `payload of ${size} bytes`).toBe(false);
    }
  });

  it('survives garbage bytes on the TCP socket', async () => {
    const broker = await start();
    for (const junk of [
      Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'),
      Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff, 0x7f, 0, 1, 2]),
      Buffer.from([0x10, 0x05, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x09, 0x09, 0x09]),
      Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 131) % 256)),
    ]) {
      const socket = netConnect(broker.port, '127.0.0.1');
      socket.on('error', () => {});
      await nextEvent(socket, 'connect');
      const closed = eventWithin(socket, 'close', 5000);
      socket.write(junk);
      socket.end();
      expect(await closed).toBe(true);
    }
    const a = await device(broker, 'dev-a');
    expect(a.connected).toBe(true);
  });

  it('refuses MQTT 5 clients (aedes speaks MQTT 3.1.1)', async () => {
    const broker = await start();
    await expect(
      pool.connect(broker.url, 'dev-a', fleet.secrets.get('dev-a') ?? '', { protocolVersion: 5 }),
    ).rejects.toBeDefined();
    await device(broker, 'dev-a');
  });

  it('closes clients and the server on close()', async () => {
    const broker = await start();
    const a = await device(broker, 'dev-a');
    const closed = nextClose(a);
    await broker.close();
    await closed;
    await broker.close();
  });
});
