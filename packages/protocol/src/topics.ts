/**
 * The MQTT topic layout, version 1 (DESIGN section 5). Every device topic sits under
 * `ef/v1/d/{id}/` so that one broker ACL pattern (`ef/v1/d/%u/#`) isolates devices.
 */
import { ProtocolError } from './errors.js';
import { DEVICE_ID_PATTERN } from './schema-primitives.js';
import { TELEMETRY_STREAMS } from './telemetry.js';
import type { TelemetryStream } from './telemetry.js';

/** [P-TP-1] The prefix of every edgefleet topic. */
export const TOPIC_PREFIX = 'ef/v1';
/** [P-TP-3] Mosquitto acl_file pattern that confines a device (username = device id) to its topics. */
export const DEVICE_ACL_PATTERN = `${TOPIC_PREFIX}/d/%u/#`;

/** What a topic is about. */
export type TopicKind =
  | 'hub-state'
  | 'desired'
  | 'status'
  | 'blob-req'
  | 'blob-res'
  | 'telemetry'
  | 'ack'
  | 'birth'
  | 'death';

/** A parsed topic. */
export type ParsedTopic =
  | { kind: 'hub-state' }
  | { kind: Exclude<TopicKind, 'hub-state' | 'telemetry'>; deviceId: string }
  | { kind: 'telemetry'; deviceId: string; stream: TelemetryStream };

/**
 * True when `id` is a valid device id (`^[a-z0-9][a-z0-9._-]{0,63}$`).
 *
 * @example
 * isDeviceId('press-07.plant-a'); // true
 * isDeviceId('a/b'); // false
 */
export function isDeviceId(id: unknown): id is string {
  return typeof id === 'string' && DEVICE_ID_PATTERN.test(id);
}

/**
 * [P-TP-2] Returns `id` when valid, or throws `EF_PROTO_DEVICE_ID`.
 *
 * @example
 * assertDeviceId('press-07'); // 'press-07'
 */
export function assertDeviceId(id: unknown): string {
  if (!isDeviceId(id)) {
    const shown = typeof id === 'string' ? JSON.stringify(id.slice(0, 80)) : typeof id;
    throw new ProtocolError(
      'EF_PROTO_DEVICE_ID',
      `device id ${shown} does not match ^[a-z0-9][a-z0-9._-]{0,63}$`,
    );
  }
  return id;
}

function isStream(s: unknown): s is TelemetryStream {
  return typeof s === 'string' && (TELEMETRY_STREAMS as readonly string[]).includes(s);
}

const device = (id: string) => `${TOPIC_PREFIX}/d/${assertDeviceId(id)}`;

/**
 * [P-TP-1] Topic builders. Device ids are checked (`EF_PROTO_DEVICE_ID`).
 *
 * @example
 * topics.desired('press-07'); // 'ef/v1/d/press-07/desired'
 * topics.telemetry('press-07', 'health'); // 'ef/v1/d/press-07/tel/health'
 */
export const topics = {
  hubState: () => `${TOPIC_PREFIX}/hub/state`,
  desired: (id: string) => `${device(id)}/desired`,
  status: (id: string) => `${device(id)}/status`,
  blobReq: (id: string) => `${device(id)}/blob/req`,
  blobRes: (id: string) => `${device(id)}/blob/res`,
  telemetry: (id: string, stream: TelemetryStream) => {
    if (!isStream(stream)) {
      throw new ProtocolError(
        'EF_PROTO_TOPIC',
        `unknown telemetry stream ${JSON.stringify(String(stream))}`,
      );
    }
    return `${device(id)}/tel/${stream}`;
  },
  ack: (id: string) => `${device(id)}/ack`,
  birth: (id: string) => `${device(id)}/birth`,
  death: (id: string) => `${device(id)}/death`,
} as const;

/**
 * [P-TP-4] Subscription filters: what the hub subscribes to (device -> hub topics of every
 * device), and what one device subscribes to (hub -> device topics).
 *
 * @example
 * hubSubscriptions; // ['ef/v1/d/+/status', 'ef/v1/d/+/blob/req', 'ef/v1/d/+/tel/+', ...]
 * deviceSubscriptions('press-07'); // ['ef/v1/hub/state', 'ef/v1/d/press-07/desired', ...]
 */
export const topicFilters = {
  status: `${TOPIC_PREFIX}/d/+/status`,
  blobReq: `${TOPIC_PREFIX}/d/+/blob/req`,
  telemetry: `${TOPIC_PREFIX}/d/+/tel/+`,
  birth: `${TOPIC_PREFIX}/d/+/birth`,
  death: `${TOPIC_PREFIX}/d/+/death`,
} as const;
export const hubSubscriptions: readonly string[] = Object.values(topicFilters);
export function deviceSubscriptions(id: string): string[] {
  return [topics.hubState(), topics.desired(id), topics.blobRes(id), topics.ack(id)];
}

const DEVICE_TOPICS: Readonly<Record<string, Exclude<TopicKind, 'hub-state' | 'telemetry'>>> = {
  desired: 'desired',
  status: 'status',
  'blob/req': 'blob-req',
  'blob/res': 'blob-res',
  ack: 'ack',
  birth: 'birth',
  death: 'death',
};

function badTopic(topic: string, why: string): ProtocolError {
  return new ProtocolError(
    'EF_PROTO_TOPIC',
    `topic ${JSON.stringify(topic.slice(0, 200))}: ${why}`,
    {
      topic: topic.slice(0, 200),
    },
  );
}

/**
 * Parses a concrete topic (no wildcards) of the v1 layout. Throws `EF_PROTO_TOPIC`, or
 * `EF_PROTO_DEVICE_ID` when the device segment is not a valid id.
 *
 * @example
 * parseTopic('ef/v1/d/press-07/tel/drift'); // { kind: 'telemetry', deviceId: 'press-07', stream: 'drift' }
 */
export function parseTopic(topic: unknown): ParsedTopic {
  if (typeof topic !== 'string') throw badTopic(String(typeof topic), 'not a string');
  if (topic === topics.hubState()) return { kind: 'hub-state' };
  const prefix = `${TOPIC_PREFIX}/d/`;
  if (!topic.startsWith(prefix))
    throw badTopic(topic, `does not start with ${prefix} or equal ef/v1/hub/state`);
  const rest = topic.slice(prefix.length);
  const slash = rest.indexOf('/');
  if (slash < 0) throw badTopic(topic, 'has no message part after the device id');
  const deviceId = rest.slice(0, slash);
  if (!isDeviceId(deviceId)) {
    throw new ProtocolError(
      'EF_PROTO_DEVICE_ID',
      `topic ${JSON.stringify(topic.slice(0, 200))}: invalid device id`,
      {
        topic: topic.slice(0, 200),
      },
    );
  }
  const tail = rest.slice(slash + 1);
  if (tail.startsWith('tel/')) {
    const stream = tail.slice(4);
    if (!isStream(stream))
      throw badTopic(topic, `unknown telemetry stream "${stream.slice(0, 40)}"`);
    return { kind: 'telemetry', deviceId, stream };
  }
  const kind = Object.hasOwn(DEVICE_TOPICS, tail) ? DEVICE_TOPICS[tail] : undefined;
  if (!kind) throw badTopic(topic, `unknown message part "${tail.slice(0, 40)}"`);
  return { kind, deviceId };
}
