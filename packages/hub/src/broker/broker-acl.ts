/**
 * Who may publish and subscribe to what on the hub's broker (issue 5, "Broker security"). Pure
 * functions: the embedded broker calls them from its hooks, and the same table explains the
 * Mosquitto acl_file the hub generates.
 */
import { TOPIC_PREFIX, isDeviceId, parseTopic, topics } from '@edgefleet/protocol';
import type { TopicKind } from '@edgefleet/protocol';

/** The party behind one MQTT connection, decided at CONNECT. */
export type BrokerPrincipal =
  { readonly kind: 'hub' } | { readonly kind: 'device'; readonly deviceId: string };

/** An ACL decision; `reason` says why when refused. */
export type AclDecision =
  { readonly allowed: true } | { readonly allowed: false; readonly reason: string };

const ALLOW: AclDecision = { allowed: true };
const deny = (reason: string): AclDecision => ({ allowed: false, reason });

/** Topic kinds a device may publish on its own topics (device -> hub rows of the table). */
export const DEVICE_PUBLISH_KINDS: readonly TopicKind[] = [
  'status',
  'blob-req',
  'telemetry',
  'birth',
  'death',
];

const MAX_TOPIC_BYTES = 1024;

function basicTopicProblem(topic: string): string | undefined {
  if (topic.length === 0) return 'empty topic';
  if (Buffer.byteLength(topic) > MAX_TOPIC_BYTES) return 'topic too long';
  if (topic.includes('\u0000')) return 'topic contains NUL';
  return undefined;
}

/** The principal for a device id, or undefined when the id is invalid ([P-TP-2]). */
export function devicePrincipal(deviceId: string): BrokerPrincipal | undefined {
  return isDeviceId(deviceId) ? { kind: 'device', deviceId } : undefined;
}

/**
 * May `principal` publish on `topic`? Wildcards are refused for everyone (MQTT forbids them in
 * PUBLISH). The hub may publish anything else. A device may publish only the device -> hub
 * messages of its own id: `ef/v1/d/<id>/status|blob/req|tel/<stream>|birth|death`
 * ([P-TP-1] read with `parseTopic`; [P-TP-3] a device only touches its own topics). Its
 * `desired`, `blob/res` and `ack` topics and `ef/v1/hub/state` are the hub's to write.
 */
export function canPublish(principal: BrokerPrincipal, topic: string): AclDecision {
  if (typeof topic !== 'string') return deny('topic is not a string');
  const problem = basicTopicProblem(topic);
  if (problem) return deny(problem);
  if (topic.includes('+') || topic.includes('#')) return deny('wildcard in a publish topic');
  if (principal.kind === 'hub') return ALLOW;
  if (topic.startsWith('$')) return deny('devices may not publish $ topics');
  let parsed;
  try {
    parsed = parseTopic(topic);
  } catch {
    return deny('topic is not part of the ef/v1 layout');
  }
  if (parsed.kind === 'hub-state') return deny('only the hub publishes ef/v1/hub/state');
  if (parsed.deviceId !== principal.deviceId) return deny("another device's topic");
  if (!DEVICE_PUBLISH_KINDS.includes(parsed.kind)) {
    return deny(`devices do not publish ${parsed.kind} messages`);
  }
  return ALLOW;
}

/** True when `filter` is a well-formed MQTT topic filter (`#` last and alone, `+` alone). */
export function isValidTopicFilter(filter: string): boolean {
  if (basicTopicProblem(filter)) return false;
  const levels = filter.split('/');
  return levels.every((level, i) => {
    if (level.includes('#')) return level === '#' && i === levels.length - 1;
    if (level.includes('+')) return level === '+';
    return true;
  });
}

/**
 * May `principal` subscribe to `filter`? The hub may subscribe to any well-formed filter
 * ([P-TP-4] `hubSubscriptions`). A device may subscribe only to `ef/v1/hub/state` and to filters
 * inside its own subtree `ef/v1/d/<id>/...` (up to `ef/v1/d/<id>/#`, the Mosquitto
 * `DEVICE_ACL_PATTERN` of [P-TP-3]); `deviceSubscriptions(id)` of [P-TP-4] all fall inside.
 * Shared (`$share/`) and other `$` subscriptions are refused to devices.
 */
export function canSubscribe(principal: BrokerPrincipal, filter: string): AclDecision {
  if (typeof filter !== 'string') return deny('filter is not a string');
  if (!isValidTopicFilter(filter)) return deny('malformed topic filter');
  if (principal.kind === 'hub') return ALLOW;
  if (filter.startsWith('$')) return deny('devices may not subscribe to $ topics');
  if (filter === topics.hubState()) return ALLOW;
  const own = `${TOPIC_PREFIX}/d/${principal.deviceId}/`;
  if (filter.startsWith(own) && filter.length > own.length) return ALLOW;
  return deny('devices may subscribe only to their own topics and ef/v1/hub/state');
}
