/**
 * The hub's own MQTT connection: a privileged client of the broker (embedded or external) that
 * subscribes to every device's reports ([P-TP-4]), announces itself retained on
 * `ef/v1/hub/state` with an `offline` will ([P-PR-3]), and publishes desired state, acks and
 * blob responses.
 */
import { randomBytes } from 'node:crypto';
import { connect } from 'mqtt';
import type { MqttClient } from 'mqtt';
import { hubSubscriptions, topics } from '@edgefleet/protocol';
import type { Logger } from 'pino';
import { HubStartError } from '../hub/hub-start-errors.js';
import { HUB_VERSION } from '../hub/hub-version.js';
import type { MessagePublisher } from './message-publisher.js';

/** Options of {@link connectHubClient}. */
export interface HubClientOptions {
  url: string;
  username?: string | undefined;
  password?: string | undefined;
  logger: Logger;
  onMessage: (topic: string, payload: Buffer) => void;
  /** Called after every (re)connect, once subscribed and announced online. */
  onReady?: () => void;
  connectTimeoutMs?: number;
  publishTimeoutMs?: number;
}

/** The hub's connected client. */
export interface HubClient {
  publish: MessagePublisher;
  /** Announces `offline` (retained) and disconnects. Idempotent. */
  close(): Promise<void>;
}

interface HubSocket {
  setNoDelay?: (on: boolean) => void;
  cork(): void;
  uncork(): void;
  prependListener(event: 'data', listener: () => void): unknown;
}

const tuned = new WeakSet<object>();

/**
 * Tunes the hub's socket to the broker (once per connection). TCP_NODELAY: acks and 64 KiB blob
 * frames are answers someone waits for, and without it a frame's last partial segment can wait
 * for the broker's delayed ACK. Corking per received chunk: MQTT.js handles each packet of a
 * chunk in its own tick and writes its PUBACK at once, so a burst of N telemetry messages cost
 * N write syscalls; corked until the chunk is handled, they leave in one.
 */
function tuneSocket(stream: HubSocket | undefined): void {
  if (stream === undefined || tuned.has(stream)) return;
  tuned.add(stream);
  stream.setNoDelay?.(true);
  let corked = false;
  stream.prependListener('data', () => {
    if (corked) return;
    corked = true;
    stream.cork();
    // After every nextTick and microtask of this I/O callback, i.e. after the chunk's packets.
    setImmediate(() => {
      corked = false;
      stream.uncork();
    });
  });
}

function hubState(state: 'online' | 'offline'): string {
  return JSON.stringify({ state, ts: new Date().toISOString(), hubVersion: HUB_VERSION });
}

function publishWith(client: MqttClient, timeoutMs: number): MessagePublisher {
  return (topic, payload, options) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new HubStartError(
            'EF_HUB_MQTT_PUBLISH',
            `no acknowledgement for ${topic} within ${timeoutMs} ms`,
            {
              topic,
            },
          ),
        );
      }, timeoutMs);
      client.publish(topic, payload, options, (err) => {
        clearTimeout(timer);
        if (err) {
          reject(
            new HubStartError(
              'EF_HUB_MQTT_PUBLISH',
              `cannot publish ${topic}: ${err.message}`,
              { topic },
              {
                cause: err,
              },
            ),
          );
        } else resolve();
      });
    });
}

/**
 * Connects, subscribes and announces the hub online; rejects with `EF_HUB_BROKER_CONNECT` when
 * the first connection fails. Later disconnects are retried every second.
 *
 * @example
 * const client = await connectHubClient({ url: broker.url, username: '_hub', password, logger,
 *   onMessage: router });
 */
export async function connectHubClient(options: HubClientOptions): Promise<HubClient> {
  const { logger } = options;
  const client = connect(options.url, {
    protocolVersion: 4,
    clientId: `edgefleet-hub-${randomBytes(6).toString('hex')}`,
    clean: true,
    reconnectPeriod: 1000,
    connectTimeout: options.connectTimeoutMs ?? 10_000,
    ...(options.username === undefined ? {} : { username: options.username }),
    ...(options.password === undefined ? {} : { password: options.password }),
    will: {
      topic: topics.hubState(),
      payload: Buffer.from(hubState('offline')),
      qos: 1,
      retain: true,
    },
  });
  const publish = publishWith(client, options.publishTimeoutMs ?? 10_000);

  client.on('message', (topic, payload) => options.onMessage(topic, payload));
  client.on('connect', () => {
    tuneSocket(client.stream as unknown as HubSocket | undefined);
    client.subscribe([...hubSubscriptions], { qos: 1 }, (err) => {
      if (err) {
        logger.error({ err }, 'hub could not subscribe to device topics');
        return;
      }
      publish(topics.hubState(), hubState('online'), { qos: 1, retain: true }).then(
        () => options.onReady?.(),
        (e: unknown) => logger.warn({ err: e }, 'hub state not published'),
      );
    });
  });
  client.on('offline', () => logger.warn({ url: options.url }, 'hub lost its broker connection'));
  client.on('error', (err) => logger.warn({ err: err.message }, 'hub MQTT client error'));

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => fail(new Error('no CONNACK in time')),
      options.connectTimeoutMs ?? 10_000,
    );
    const onConnect = () => {
      clearTimeout(timer);
      client.off('error', fail);
      resolve();
    };
    function fail(err: Error) {
      clearTimeout(timer);
      client.off('connect', onConnect);
      client.end(true);
      reject(
        new HubStartError(
          'EF_HUB_BROKER_CONNECT',
          `cannot connect to the MQTT broker ${options.url}: ${err.message}`,
          { url: options.url },
          { cause: err },
        ),
      );
    }
    client.once('connect', onConnect);
    client.once('error', fail);
  });

  let closing: Promise<void> | undefined;
  return {
    publish,
    close(): Promise<void> {
      closing ??= (async () => {
        if (client.connected) {
          // A clean shutdown says offline itself; the will covers crashes only.
          await publish(topics.hubState(), hubState('offline'), { qos: 1, retain: true }).catch(
            () => {},
          );
        }
        // Waiting for in-flight acks only makes sense while connected.
        await new Promise<void>((resolve) => client.end(!client.connected, {}, () => resolve()));
      })();
      return closing;
    },
  };
}
