/**
 * The agent's MQTT link over mqtt.js (DESIGN section 8). MQTT 3.1.1, because the embedded broker
 * (aedes 1.x) speaks nothing newer (DESIGN section 5).
 *
 * Session choice: `clean: false` with the device id as the stable client id. The broker keeps
 * the device's subscriptions and queues QoS 1 messages for it (acks, blob responses) while it
 * is offline, so a short outage costs no resends; a second agent with the same id takes the
 * session over instead of both publishing. The cost is broker memory for a device that stays
 * away; the broker bounds it (Mosquitto `max_queued_messages`), and nothing here depends on the
 * queue: the outbox resends whatever the hub has not acked ([P-AK-2]), the converger re-reads
 * the retained desired state, the downloader re-asks for missing blocks.
 */
import { connect } from 'mqtt';
import type { IClientOptions, MqttClient } from 'mqtt';
import {
  BirthSchema,
  BootIdSchema,
  DEFAULT_MAX_MESSAGE_BYTES,
  deviceSubscriptions,
  isDeviceId,
  parseTopic,
  topics,
} from '@edgefleet/protocol';
import type { Birth } from '@edgefleet/protocol';
import { silentLogger } from './agent-link-api.js';
import type {
  AgentLink,
  AgentLogger,
  LinkMessageHandler,
  LinkMessageKind,
} from './agent-link-api.js';
import { LinkError } from './link-errors.js';
import { ReconnectBackoff } from './reconnect-backoff.js';

/** What the agent knows for its birth message; the link adds device, boot id, time and version. */
export interface BirthContent {
  readonly models: Birth['models'];
  readonly hardware?: Birth['hardware'];
  /** Default: `process.arch`. */
  readonly arch?: Birth['arch'];
  /** Default: `process.platform`. */
  readonly platform?: string;
}

export interface AgentLinkOptions {
  /** `mqtt://host:port` or `mqtts://...`. */
  readonly brokerUrl: string;
  readonly deviceId: string;
  /** MQTT username; default the device id, which the broker ACL requires ([P-TP-2]). */
  readonly username?: string;
  readonly password: string;
  /** TLS material for `mqtts://` (a private CA, a client certificate). */
  readonly tls?: Pick<IClientOptions, 'ca' | 'cert' | 'key' | 'rejectUnauthorized'>;
  readonly bootId: string;
  readonly agentVersion: string;
  /** Called on every connect to build the birth message ([P-PR-1]). */
  readonly birth: () => BirthContent;
  readonly logger?: AgentLogger;
  /** First reconnect delay; it doubles per failed attempt up to `maxReconnectPeriodMs`. Default 1000. */
  readonly reconnectPeriodMs?: number;
  /** Cap of the reconnect delay. Default 30000. */
  readonly maxReconnectPeriodMs?: number;
  /** Default 10000. */
  readonly connectTimeoutMs?: number;
  /** Default 30. */
  readonly keepaliveSeconds?: number;
  /** How long `close()` waits for the death message and the DISCONNECT. Default 2000. */
  readonly closeTimeoutMs?: number;
  readonly now?: () => number;
}

/** An {@link AgentLink} that owns its connection. */
export interface ConnectedAgentLink extends AgentLink {
  /** Publishes the death message ([P-PR-2]) if connected, disconnects and stops reconnecting. */
  close(): Promise<void>;
}

const ACCEPTED_PROTOCOLS = new Set(['mqtt:', 'mqtts:', 'tcp:', 'ssl:', 'tls:', 'ws:', 'wss:']);

const KIND_OF_TOPIC: Readonly<Record<string, LinkMessageKind>> = {
  desired: 'desired',
  ack: 'ack',
  'blob-res': 'blob/res',
  'hub-state': 'hub-state',
};

function checkOptions(options: AgentLinkOptions): void {
  const bad = (message: string) => new LinkError('EF_AGENT_LINK_OPTIONS', message);
  if (!isDeviceId(options.deviceId)) throw bad('deviceId is not a valid device id');
  if (!BootIdSchema.safeParse(options.bootId).success) throw bad('bootId is not a valid boot id');
  let url: URL;
  try {
    url = new URL(options.brokerUrl);
  } catch {
    throw bad(`brokerUrl ${JSON.stringify(String(options.brokerUrl))} is not a URL`);
  }
  if (!ACCEPTED_PROTOCOLS.has(url.protocol))
    throw bad(`brokerUrl protocol ${url.protocol} is not MQTT`);
  for (const key of [
    'reconnectPeriodMs',
    'maxReconnectPeriodMs',
    'connectTimeoutMs',
    'closeTimeoutMs',
  ] as const) {
    const value = options[key];
    if (value !== undefined && !(Number.isFinite(value) && value > 0))
      throw bad(`${key} must be a positive number`);
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

/**
 * Connects the device to the broker and keeps it connected: never throws because the broker is
 * unreachable (it retries with capped exponential backoff and `connected` stays false). On
 * every connection it subscribes to `deviceSubscriptions(id)` and publishes the birth
 * ([P-PR-1]); the will is the death message ([P-PR-2]). Throws `EF_AGENT_LINK_OPTIONS` for
 * invalid options only.
 *
 * @example
 * const link = connectAgentLink({ brokerUrl: 'mqtt://hub:1883', deviceId: 'press-07',
 *   password, bootId, agentVersion: '0.1.0', birth: () => ({ models: [] }) });
 * link.onMessage('ack', (_topic, payload) => outbox.handleAck(payload));
 * await link.close();
 */
export function connectAgentLink(options: AgentLinkOptions): ConnectedAgentLink {
  checkOptions(options);
  const { deviceId, bootId } = options;
  const log = options.logger ?? silentLogger;
  const now = options.now ?? Date.now;
  const closeTimeoutMs = options.closeTimeoutMs ?? 2000;
  const backoff = new ReconnectBackoff(
    options.reconnectPeriodMs ?? 1000,
    options.maxReconnectPeriodMs ?? 30_000,
  );
  const death = (reason: string) =>
    JSON.stringify({ device: deviceId, bootId, ts: new Date(now()).toISOString(), reason });

  const clientOptions: IClientOptions = {
    ...options.tls,
    protocolVersion: 4,
    clientId: deviceId,
    clean: false,
    username: options.username ?? deviceId,
    password: options.password,
    keepalive: options.keepaliveSeconds ?? 30,
    connectTimeout: options.connectTimeoutMs ?? 10_000,
    reconnectPeriod: backoff.reset(),
    // A refused CONNACK (e.g. credentials not yet registered at the hub) is retried as well.
    reconnectOnConnackError: true,
    // Subscriptions are renewed by hand on every connect, below.
    resubscribe: false,
    will: {
      topic: topics.death(deviceId),
      payload: Buffer.from(death('connection lost')),
      qos: 1,
      retain: false,
    },
  };
  const client: MqttClient = connect(options.brokerUrl, clientOptions);

  const handlers = new Map<LinkMessageKind, Set<LinkMessageHandler>>();
  const connectHandlers = new Set<() => void>();
  const pending = new Set<(err: LinkError) => void>();
  let ready = false;
  let closed = false;
  let epoch = 0;
  let failures = 0;

  const rejectPending = (err: LinkError) => {
    for (const reject of [...pending]) reject(err);
    pending.clear();
  };

  client.on('reconnect', () => {
    // mqtt.js reads both options at each attempt: the next delay, and the will's timestamp.
    client.options.reconnectPeriod = backoff.next();
    if (client.options.will) client.options.will.payload = Buffer.from(death('connection lost'));
  });

  client.on('error', (err: Error & { code?: unknown }) => {
    failures += 1;
    // The first failure of an outage is worth a warning; the retries that follow are not.
    const entry = {
      code: 'EF_AGENT_LINK_OFFLINE',
      broker: options.brokerUrl,
      err: err.message,
      mqttCode: err.code,
      failures,
    };
    if (failures === 1) log.warn(entry, 'broker connection failed; retrying');
    else log.debug(entry, 'broker connection failed again');
  });

  client.on('close', () => {
    epoch += 1;
    if (ready) log.info({ broker: options.brokerUrl }, 'disconnected from the broker');
    ready = false;
    rejectPending(
      new LinkError(
        'EF_AGENT_LINK_DISCONNECTED',
        'connection to the broker lost before the publish was acknowledged',
      ),
    );
  });

  client.on('connect', () => {
    const mine = ++epoch;
    failures = 0;
    client.options.reconnectPeriod = backoff.reset();
    void onConnected(mine);
  });

  async function onConnected(mine: number): Promise<void> {
    try {
      await client.subscribeAsync(deviceSubscriptions(deviceId), { qos: 1 });
    } catch (err) {
      if (mine !== epoch) return;
      log.error(
        { code: 'EF_AGENT_LINK_SUBSCRIBE', err: err instanceof Error ? err.message : String(err) },
        'the broker refused the device subscriptions',
      );
    }
    if (mine !== epoch || closed) return;
    publishBirth();
    ready = true;
    log.info({ broker: options.brokerUrl }, 'connected to the broker');
    for (const handler of [...connectHandlers]) {
      try {
        handler();
      } catch (err) {
        log.error(
          { err: err instanceof Error ? err.message : String(err) },
          'a connect handler threw',
        );
      }
    }
  }

  function publishBirth(): void {
    let birth: Birth;
    try {
      const content = options.birth();
      const parsed = BirthSchema.safeParse({
        arch: process.arch,
        platform: process.platform,
        ...content,
        device: deviceId,
        bootId,
        ts: new Date(now()).toISOString(),
        agentVersion: options.agentVersion,
      });
      if (!parsed.success) throw new Error(parsed.error.issues[0]?.message ?? 'invalid birth');
      birth = parsed.data;
    } catch (err) {
      log.error(
        { code: 'EF_AGENT_LINK_BIRTH', err: err instanceof Error ? err.message : String(err) },
        'birth not published',
      );
      return;
    }
    // MQTT keeps one client's publishes in order, so the birth precedes everything sent after.
    client.publish(topics.birth(deviceId), JSON.stringify(birth), { qos: 1 }, () => undefined);
  }

  client.on('message', (topic: string, payload: Buffer) => {
    let kind: LinkMessageKind | undefined;
    try {
      const parsed = parseTopic(topic);
      if (parsed.kind !== 'hub-state' && parsed.deviceId !== deviceId) return;
      kind = KIND_OF_TOPIC[parsed.kind];
    } catch {
      return;
    }
    if (kind === undefined) return;
    for (const handler of [...(handlers.get(kind) ?? [])]) {
      try {
        handler(topic, payload);
      } catch (err) {
        log.error(
          { kind, err: err instanceof Error ? err.message : String(err) },
          'a message handler threw',
        );
      }
    }
  });

  return {
    get connected() {
      return ready && !closed;
    },

    publish(topic, payload, publishOptions = {}) {
      if (closed)
        return Promise.reject(new LinkError('EF_AGENT_LINK_CLOSED', 'the link is closed'));
      if (!ready)
        return Promise.reject(
          new LinkError('EF_AGENT_LINK_OFFLINE', 'not connected to the broker'),
        );
      const bytes = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
      if (bytes > DEFAULT_MAX_MESSAGE_BYTES) {
        return Promise.reject(
          new LinkError(
            'EF_AGENT_LINK_TOO_LARGE',
            `message of ${bytes} bytes is over the ${DEFAULT_MAX_MESSAGE_BYTES}-byte cap`,
            { topic, bytes },
          ),
        );
      }
      return new Promise<void>((resolve, reject) => {
        const fail = (err: LinkError) => reject(err);
        pending.add(fail);
        client.publish(
          topic,
          payload,
          { qos: publishOptions.qos ?? 1, retain: publishOptions.retain ?? false },
          (err) => {
            pending.delete(fail);
            if (err)
              reject(
                new LinkError(
                  'EF_AGENT_LINK_PUBLISH',
                  `publish on ${topic} failed: ${err.message}`,
                  { topic },
                  { cause: err },
                ),
              );
            else resolve();
          },
        );
      });
    },

    onMessage(kind, handler) {
      let set = handlers.get(kind);
      if (!set) handlers.set(kind, (set = new Set()));
      set.add(handler);
      return () => set.delete(handler);
    },

    onConnect(handler) {
      connectHandlers.add(handler);
      return () => connectHandlers.delete(handler);
    },

    async close() {
      if (closed) return;
      closed = true;
      if (ready) {
        // A clean shutdown says so itself; the DISCONNECT below makes the broker drop the will.
        const sent = new Promise<void>((resolve) => {
          client.publish(topics.death(deviceId), death('shutdown'), { qos: 1 }, () => resolve());
        });
        await withTimeout(sent, closeTimeoutMs);
      }
      const wasConnected = client.connected;
      ready = false;
      rejectPending(new LinkError('EF_AGENT_LINK_CLOSED', 'the link was closed'));
      // A graceful end waits for every unacknowledged publish; a broker that stops answering
      // gets its socket destroyed instead (it then publishes the will, which is accurate).
      const ended = new Promise<void>((resolve) => client.end(!wasConnected, {}, () => resolve()));
      if (
        (await withTimeout(
          ended.then(() => true),
          closeTimeoutMs,
        )) === undefined
      ) {
        client.stream?.destroy();
      }
    },
  };
}
