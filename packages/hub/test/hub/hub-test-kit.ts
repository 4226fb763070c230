/**
 * Shared pieces of the hub's integration tests: a hub on free ports in a temp dir, device
 * messages, and waiting on observable state with a deadline.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { topics } from '@edgefleet/protocol';
import type { MqttClient } from 'mqtt';
import { startHub } from '../../src/hub/start-hub.js';
import type { HubOptions } from '../../src/hub/hub-options.js';
import type { RunningHub } from '../../src/hub/start-hub.js';
import { ClientPool } from '../broker/helpers.js';

/**
 * Polls `probe` until it returns something other than undefined/false, or fails after
 * `timeoutMs` with `what` in the message.
 *
 * @example
 * await waitFor(async () => (await store.telemetryCount()) === 3 || undefined, 'three stored');
 */
export async function waitFor<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  what: string,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Hubs, data dirs and MQTT clients of one test file, all closed by `cleanup`. */
export class HubKit {
  readonly pool = new ClientPool();
  readonly #hubs: RunningHub[] = [];
  readonly #dirs: string[] = [];

  tempDir(prefix = 'ef-hub-it-'): string {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    this.#dirs.push(dir);
    return dir;
  }

  /** A hub on free ports, without logs, HTTP off unless asked. */
  async start(options: Partial<HubOptions> = {}): Promise<RunningHub> {
    const hub = await startHub({
      dataDir: options.dataDir ?? this.tempDir(),
      host: '127.0.0.1',
      httpPort: 0,
      ...(options.brokerUrl === undefined ? { mqttPort: 0 } : {}),
      logLevel: false,
      http: false,
      ...options,
    });
    this.#hubs.push(hub);
    return hub;
  }

  /** Enrols `id` and connects it as a device subscribed to its hub -> device topics. */
  async device(
    hub: RunningHub,
    id: string,
    tags: Record<string, string> = {},
  ): Promise<TestDevice> {
    const { provisioning } = await hub.api.enrollDevice(id, tags);
    const client = await this.connect(hub, id, provisioning.password);
    return {
      id,
      password: provisioning.password,
      client,
      rootPublicKeys: provisioning.rootPublicKeys,
    };
  }

  /**
   * Connects a device with the given credentials and subscribes it to its hub -> device topics;
   * an {@link Inbox} records messages from before the subscription, so a retained message
   * delivered with the SUBACK is never missed.
   */
  async connect(hub: RunningHub, id: string, password: string): Promise<MqttClient> {
    const client = await this.pool.connect(hub.brokerUrl, id, password);
    inboxes.set(client, new Inbox(client));
    await client.subscribeAsync([topics.desired(id), topics.ack(id), topics.blobRes(id)], {
      qos: 1,
    });
    return client;
  }

  async cleanup(): Promise<void> {
    await this.pool.closeAll();
    for (const hub of this.#hubs.splice(0)) await hub.close();
    for (const dir of this.#dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  }
}

/** Every message a client received, taken in order per topic. */
export class Inbox {
  readonly #messages: { topic: string; payload: Buffer }[] = [];
  readonly #taken = new Map<string, number>();

  constructor(client: MqttClient) {
    client.on('message', (topic, payload) => this.#messages.push({ topic, payload }));
  }

  /** The next message on `topic` not taken before; waits up to `timeoutMs`. */
  async take(topic: string, timeoutMs = 10_000): Promise<Buffer> {
    return waitFor(
      () => {
        const from = this.#taken.get(topic) ?? 0;
        const onTopic = this.#messages.filter((m) => m.topic === topic);
        const next = onTopic[from];
        if (next === undefined) return undefined;
        this.#taken.set(topic, from + 1);
        return next.payload;
      },
      `a message on ${topic}`,
      timeoutMs,
    );
  }
}

const inboxes = new WeakMap<MqttClient, Inbox>();

/** The inbox of a client connected through {@link HubKit.connect}. */
export function inboxOf(client: MqttClient): Inbox {
  const inbox = inboxes.get(client);
  if (inbox === undefined) throw new Error('client was not connected through HubKit');
  return inbox;
}

/** A connected, enrolled test device. */
export interface TestDevice {
  id: string;
  password: string;
  client: MqttClient;
  rootPublicKeys: string[];
}

export const BOOT = 'boot-0000-0001';
export const SHA = 'ab'.repeat(32);

/** A valid health batch of one record. */
export function healthBatch(device: string, seq: number, bootId = BOOT, cpu = 0.25): object {
  const ts = new Date().toISOString();
  return {
    device,
    bootId,
    seq,
    stream: 'health',
    sentAt: ts,
    records: [
      {
        ts,
        uptimeS: 10,
        cpu,
        memory: { rss: 1, total: 4, free: 2 },
        disk: { free: 5, total: 10 },
        outbox: { depth: 0, bytes: 0, dropped: 0, expired: 0 },
        models: [],
      },
    ],
  };
}

/** A valid deployment status report. */
export function statusReport(
  device: string,
  seq: number,
  state: string,
  extra: object = {},
): object {
  return {
    device,
    bootId: BOOT,
    seq,
    ts: new Date().toISOString(),
    desiredVersion: 1,
    executionId: 'exec-1',
    model: 'pm',
    version: '1.0.0',
    sha256: SHA,
    state,
    ...extra,
  };
}

/** Collects the JSON messages a client receives on `topic`. */
export function collect(client: MqttClient, topic: string): unknown[] {
  const seen: unknown[] = [];
  client.on('message', (t, payload) => {
    if (t !== topic) return;
    try {
      seen.push(JSON.parse(payload.toString('utf8')));
    } catch {
      seen.push(payload);
    }
  });
  return seen;
}
