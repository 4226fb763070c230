/**
 * The broker security contract (issue 5, "Broker security" and "Must show"), run against the
 * embedded broker and a real Mosquitto. Where the two brokers legitimately differ (how a denied
 * SUBSCRIBE or PUBLISH is answered), the factory declares which behaviour to expect and the
 * suite asserts exactly that; what a device can read or write is the same for both.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { topics } from '@edgefleet/protocol';
import type { MqttClient } from 'mqtt';
import { generateDeviceSecret, hashDeviceSecret } from '../../src/broker/device-secrets.js';
import { ClientPool, nextClose, nextMessage } from './helpers.js';

/** The hub's own account; never a valid device id ([P-TP-2]). */
export const CONTRACT_HUB_USER = '_hub';
export const CONTRACT_DEVICE_IDS = ['dev-a', 'dev-b'] as const;

/** Credentials the suite creates once; the factory gives them to its broker. */
export interface ContractFleet {
  /** Device id -> plain secret (what the device sends). */
  readonly secrets: ReadonlyMap<string, string>;
  /** Device id -> `$7$` hash (what the hub stores). */
  readonly hashes: ReadonlyMap<string, string>;
  readonly hub: { readonly username: string; readonly secret: string; readonly secretHash: string };
}

export interface BrokerUnderTest {
  readonly url: string;
  /** How a SUBSCRIBE outside the device's ACL is answered. */
  readonly deniedSubscribe: 'refused-in-suback' | 'granted-but-filtered';
  /** How a QoS 1 PUBLISH outside the device's ACL is answered (MQTT 3.1.1). */
  readonly deniedPublish: 'disconnect' | 'puback-and-drop';
  /** Revokes the device the way the hub does for this broker; resolves when it is applied. */
  revoke(deviceId: string): Promise<void>;
  close(): Promise<void>;
}

export type BrokerFactory = (fleet: ContractFleet) => Promise<BrokerUnderTest>;

async function makeFleet(): Promise<ContractFleet> {
  const secrets = new Map<string, string>();
  const hashes = new Map<string, string>();
  for (const id of CONTRACT_DEVICE_IDS) {
    const secret = generateDeviceSecret();
    secrets.set(id, secret);
    hashes.set(id, await hashDeviceSecret(secret));
  }
  const secret = generateDeviceSecret();
  return {
    secrets,
    hashes,
    hub: { username: CONTRACT_HUB_USER, secret, secretHash: await hashDeviceSecret(secret) },
  };
}

/** The granted QoS for `filter` (128 = refused; mqtt.js reports that as an error). */
async function subscribe(client: MqttClient, filter: string): Promise<number> {
  try {
    const granted = await client.subscribeAsync(filter, { qos: 1 });
    return granted[0]?.qos ?? -1;
  } catch (err) {
    const first = (err as { packet?: { granted?: unknown[] } }).packet?.granted?.[0];
    if (typeof first === 'number') return first;
    throw err;
  }
}

/** Every topic `client` receives from now on. */
function record(client: MqttClient): string[] {
  const seen: string[] = [];
  client.on('message', (topic: string) => seen.push(topic));
  return seen;
}

/**
 * Defines the contract tests for one broker. `factory` starts a fresh broker per test with the
 * suite's fleet; the suite closes it and every client afterwards.
 *
 * @example
 * describeBrokerContract('embedded broker', async (fleet) => ({ url, deniedSubscribe: ..., ... }));
 */
export function describeBrokerContract(name: string, factory: BrokerFactory): void {
  describe(`broker contract: ${name}`, () => {
    let fleet: ContractFleet;
    let broker: BrokerUnderTest | undefined;
    const pool = new ClientPool();

    const url = () => {
      if (!broker) throw new Error('broker not started');
      return broker.url;
    };
    const device = (id: string) => pool.connect(url(), id, fleet.secrets.get(id) ?? 'none');
    const hubClient = () => pool.connect(url(), fleet.hub.username, fleet.hub.secret);
    const refused = (p: Promise<unknown>) => expect(p).rejects.toMatchObject({ code: 5 });

    beforeAll(async () => {
      fleet = await makeFleet();
    });

    beforeEach(async () => {
      broker = await factory(fleet);
    });

    afterEach(async () => {
      await pool.closeAll();
      await broker?.close();
      broker = undefined;
    });

    afterAll(async () => {
      await pool.closeAll();
    });

    it('accepts each device and the hub with their secrets', async () => {
      for (const id of CONTRACT_DEVICE_IDS) expect((await device(id)).connected).toBe(true);
      expect((await hubClient()).connected).toBe(true);
    });

    it('refuses a wrong secret, an unknown user and a client without credentials', async () => {
      await refused(pool.connect(url(), 'dev-a', fleet.secrets.get('dev-b') ?? ''));
      await refused(pool.connect(url(), 'dev-a', generateDeviceSecret()));
      await refused(pool.connect(url(), 'dev-z', generateDeviceSecret()));
      await refused(pool.connect(url(), fleet.hub.username, 'wrong'));
      await refused(pool.connect(url(), '', '', { username: undefined, password: undefined }));
    });

    it("does not let device A subscribe to or receive device B's messages", async () => {
      const hub = await hubClient();
      // Retained before A subscribes: must not be delivered either.
      await hub.publishAsync(topics.desired('dev-b'), 'retained for b', { qos: 1, retain: true });
      const a = await device('dev-a');
      const seen = record(a);
      const expected = broker?.deniedSubscribe === 'refused-in-suback' ? 128 : 1;
      for (const filter of ['ef/v1/d/dev-b/#', 'ef/v1/d/+/desired', '#']) {
        expect(await subscribe(a, filter), filter).toBe(expected);
      }
      expect(await subscribe(a, topics.desired('dev-a'))).toBe(1);

      // Positive control: published after B's message on the same broker path, so if B's
      // message were delivered it would have arrived first.
      const own = nextMessage(a, topics.desired('dev-a'));
      await hub.publishAsync(topics.desired('dev-b'), 'live for b', { qos: 1 });
      await hub.publishAsync(topics.blobRes('dev-b'), 'chunk for b', { qos: 1 });
      await hub.publishAsync(topics.desired('dev-a'), 'for a', { qos: 1 });
      expect((await own).toString()).toBe('for a');
      expect(seen.filter((t) => !t.startsWith('ef/v1/d/dev-a/'))).toEqual([]);
      expect(a.connected).toBe(true);
    });

    it("does not let device A publish on device B's topics", async () => {
      const hub = await hubClient();
      expect(await subscribe(hub, 'ef/v1/d/+/status')).toBe(1);
      const hubSeen = record(hub);
      const b = await device('dev-b');
      expect(await subscribe(b, 'ef/v1/d/dev-b/#')).toBe(1);
      const bSeen = record(b);

      for (const topic of [topics.status('dev-b'), topics.desired('dev-b')]) {
        const a = await device('dev-a');
        if (broker?.deniedPublish === 'disconnect') {
          const closed = nextClose(a);
          a.publish(topic, 'forged', { qos: 1, retain: true });
          await closed;
        } else {
          // MQTT 3.1.1 has no PUBACK reason code: Mosquitto acknowledges and drops it.
          await a.publishAsync(topic, 'forged', { qos: 1, retain: true });
          expect(a.connected).toBe(true);
        }
      }

      // Positive controls on both receivers, sent after the forgeries.
      const a = await device('dev-a');
      const own = nextMessage(hub, topics.status('dev-a'));
      await a.publishAsync(topics.status('dev-a'), 'ok', { qos: 1 });
      expect((await own).toString()).toBe('ok');
      const toB = nextMessage(b, topics.ack('dev-b'));
      await hub.publishAsync(topics.ack('dev-b'), 'ack', { qos: 1 });
      expect((await toB).toString()).toBe('ack');
      expect(hubSeen).toEqual([topics.status('dev-a')]);
      expect(bSeen).toEqual([topics.ack('dev-b')]);

      // Nothing forged was retained on B's desired topic.
      const b2 = await device('dev-b');
      const b2Seen = record(b2);
      const state = nextMessage(b2, topics.hubState());
      await hub.publishAsync(topics.hubState(), 'online', { qos: 1, retain: true });
      await subscribe(b2, topics.desired('dev-b'));
      await subscribe(b2, topics.hubState());
      expect((await state).toString()).toBe('online');
      expect(b2Seen).toEqual([topics.hubState()]);
    });

    it('lets a device read ef/v1/hub/state but not write it', async () => {
      const hub = await hubClient();
      await hub.publishAsync(topics.hubState(), 'online', { qos: 1, retain: true });
      const a = await device('dev-a');
      const retained = nextMessage(a, topics.hubState());
      expect(await subscribe(a, topics.hubState())).toBe(1);
      expect((await retained).toString()).toBe('online');

      if (broker?.deniedPublish === 'disconnect') {
        const closed = nextClose(a);
        a.publish(topics.hubState(), 'offline', { qos: 1, retain: true });
        await closed;
      } else {
        await a.publishAsync(topics.hubState(), 'offline', { qos: 1, retain: true });
      }

      // The retained value is still the hub's.
      const b = await device('dev-b');
      const again = nextMessage(b, topics.hubState());
      await subscribe(b, topics.hubState());
      expect((await again).toString()).toBe('online');
    });

    it('disconnects a revoked device and refuses it afterwards', async () => {
      const hub = await hubClient();
      const a = await device('dev-a');
      const b = await device('dev-b');
      const closed = nextClose(a);
      await broker?.revoke('dev-a');
      await closed;
      await refused(device('dev-a'));

      // B is untouched and still served.
      expect(b.connected).toBe(true);
      expect(await subscribe(b, topics.desired('dev-b'))).toBe(1);
      const got = nextMessage(b, topics.desired('dev-b'));
      await hub.publishAsync(topics.desired('dev-b'), 'still here', { qos: 1 });
      expect((await got).toString()).toBe('still here');
    });

    it('lets the hub publish and subscribe anywhere under ef/v1/', async () => {
      const hub = await hubClient();
      expect(await subscribe(hub, 'ef/v1/#')).toBe(1);
      const a = await device('dev-a');
      const fromDevice = nextMessage(hub, topics.telemetry('dev-a', 'health'));
      await a.publishAsync(topics.telemetry('dev-a', 'health'), 'tel', { qos: 1 });
      expect((await fromDevice).toString()).toBe('tel');

      expect(await subscribe(a, 'ef/v1/d/dev-a/#')).toBe(1);
      for (const topic of [topics.desired('dev-a'), topics.blobRes('dev-a'), topics.ack('dev-a')]) {
        const got = nextMessage(a, topic);
        await hub.publishAsync(topic, topic, { qos: 1 });
        expect((await got).toString()).toBe(topic);
      }
      const state = nextMessage(hub, topics.hubState());
      await hub.publishAsync(topics.hubState(), 'online', { qos: 1, retain: true });
      expect((await state).toString()).toBe('online');
      expect(hub.connected).toBe(true);
    });
  });
}
