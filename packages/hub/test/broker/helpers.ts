import { connect } from 'mqtt';
import type { IClientOptions, MqttClient } from 'mqtt';
import type { EventEmitter } from 'node:events';

/** Resolves with the first arguments of `event`, or rejects after `ms`. */
export function nextEvent<T extends unknown[] = unknown[]>(
  emitter: EventEmitter,
  event: string,
  ms = 5000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, onEvent);
      reject(new Error(`no ${event} event within ${ms} ms`));
    }, ms);
    const onEvent = (...args: unknown[]) => {
      clearTimeout(timer);
      resolve(args as T);
    };
    emitter.once(event, onEvent);
  });
}

/** Resolves true when `emitter` emits `event` within `ms`, false otherwise. */
export function eventWithin(emitter: EventEmitter, event: string, ms: number): Promise<boolean> {
  return nextEvent(emitter, event, ms).then(
    () => true,
    () => false,
  );
}

/** Tracks clients so afterEach can close them all. */
export class ClientPool {
  private readonly clients = new Set<MqttClient>();

  /** Connects an MQTT 3.1.1 client; resolves once CONNACK accepted, rejects with the refusal. */
  connect(url: string, username: string, password: string, extra: IClientOptions = {}) {
    const client = connect(url, {
      protocolVersion: 4,
      username,
      password,
      reconnectPeriod: 0,
      connectTimeout: 5000,
      clientId: `${username}-${Math.random().toString(16).slice(2, 10)}`,
      ...extra,
    });
    this.clients.add(client);
    return new Promise<MqttClient>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no CONNACK within 5000 ms')), 5000);
      client.once('connect', () => {
        clearTimeout(timer);
        resolve(client);
      });
      client.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  async closeAll(): Promise<void> {
    await Promise.all(
      [...this.clients].map(
        (c) => new Promise<void>((resolve) => c.end(true, {}, () => resolve())),
      ),
    );
    this.clients.clear();
  }
}

/** Waits for a message on `topic`; rejects after `ms`. */
export function nextMessage(client: MqttClient, topic: string, ms = 5000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('message', onMessage);
      reject(new Error(`no message on ${topic} within ${ms} ms`));
    }, ms);
    const onMessage = (t: string, payload: Buffer) => {
      if (t !== topic) return;
      clearTimeout(timer);
      client.off('message', onMessage);
      resolve(payload);
    };
    client.on('message', onMessage);
  });
}

/** Resolves when `client` emits `close`; rejects after `ms`. */
export function nextClose(client: MqttClient, ms = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    const onClose = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      client.off('close', onClose);
      reject(new Error(`client not closed within ${ms} ms`));
    }, ms);
    client.once('close', onClose);
  });
}
