/**
 * A test-only AgentLink over a real mqtt.js client (the real `agent-link.ts` is written
 * elsewhere): device credentials, the device's subscriptions, QoS 1 publishes.
 */
import { connect } from 'mqtt';
import type { MqttClient } from 'mqtt';
import { EdgefleetError, deviceSubscriptions, topics } from '@edgefleet/protocol';
import type {
  AgentLink,
  LinkMessageHandler,
  LinkMessageKind,
} from '../../../src/link/agent-link-api.js';

export class MqttTestLink implements AgentLink {
  private readonly handlers = new Map<string, Set<LinkMessageHandler>>();
  private readonly connectHandlers = new Set<() => void>();
  /** Every publish, for assertions. */
  readonly published: { topic: string; payload: Buffer }[] = [];

  private constructor(
    readonly client: MqttClient,
    readonly deviceId: string,
  ) {
    client.on('message', (topic, payload) => {
      for (const [kind, set] of this.handlers) {
        const matches =
          kind === 'hub-state' ? topic === topics.hubState() : topic.endsWith(`/${kind}`);
        if (!matches) continue;
        for (const h of set) h(topic, payload);
      }
    });
    client.on('connect', () => {
      client.subscribe(deviceSubscriptions(deviceId), { qos: 1 }, () => {
        for (const h of this.connectHandlers) h();
      });
    });
  }

  /** Connects as `deviceId` and subscribes to the device topics. */
  static async connect(url: string, deviceId: string, password = 'secret'): Promise<MqttTestLink> {
    const client = connect(url, {
      protocolVersion: 4,
      username: deviceId,
      password,
      clientId: `${deviceId}-${Math.random().toString(16).slice(2, 10)}`,
      reconnectPeriod: 100,
      connectTimeout: 5000,
    });
    const link = new MqttTestLink(client, deviceId);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('test link: no CONNACK within 5 s')), 5000);
      const off = link.onConnect(() => {
        clearTimeout(timer);
        off();
        resolve();
      });
    });
    return link;
  }

  get connected(): boolean {
    return this.client.connected;
  }

  publish(
    topic: string,
    payload: Buffer | string,
    options: { qos?: 0 | 1; retain?: boolean } = {},
  ): Promise<void> {
    if (!this.client.connected) {
      return Promise.reject(new EdgefleetError('EF_TEST_LINK_DOWN', 'test link is not connected'));
    }
    this.published.push({ topic, payload: Buffer.from(payload) });
    return new Promise((resolve, reject) => {
      this.client.publish(
        topic,
        payload,
        { qos: options.qos ?? 1, retain: options.retain ?? false },
        (err) => (err ? reject(err) : resolve()),
      );
    });
  }

  onMessage(kind: LinkMessageKind, handler: LinkMessageHandler): () => void {
    let set = this.handlers.get(kind);
    if (!set) this.handlers.set(kind, (set = new Set()));
    set.add(handler);
    return () => set.delete(handler);
  }

  onConnect(handler: () => void): () => void {
    this.connectHandlers.add(handler);
    return () => this.connectHandlers.delete(handler);
  }

  /** Drops the connection (no automatic reconnect until {@link goOnline}). */
  goOffline(): Promise<void> {
    return new Promise((resolve) => this.client.end(true, {}, () => resolve()));
  }

  /** Reconnects after {@link goOffline}. */
  goOnline(): void {
    this.client.reconnect();
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.client.end(true, {}, () => resolve()));
  }
}
