/**
 * Per-stream policies of the outbox: byte cap, TTL and priority. Status has no cap and no TTL
 * ([P-ST-1]: never dropped) and always goes first: a rollout waits on it.
 *
 * Default telemetry order, most urgent first: events (rare, and they explain failures and
 * losses), health (small, periodic, what the hub's liveness and probation checks read),
 * inference summaries, drift windows (the largest records; their counts merge by addition, so
 * late windows are still useful).
 */
import { TELEMETRY_STREAMS } from '@edgefleet/protocol';
import type { TelemetryStream } from '@edgefleet/protocol';
import type { OutboxStream } from './outbox-api.js';
import { OutboxError } from './outbox-errors.js';

export interface StreamPolicy {
  /** Stored bytes (records' JSON) above which the oldest records of the stream are dropped. */
  readonly maxBytes: number;
  /** Age after which a record is dropped as expired. */
  readonly ttlMs: number;
  /** Higher sends first. */
  readonly priority: number;
}

/** Overrides for telemetry streams; status cannot be changed. */
export type StreamPolicyOverrides = Partial<Record<TelemetryStream, Partial<StreamPolicy>>>;

const MiB = 1024 * 1024;
const DAY = 86_400_000;

export const OUTBOX_STREAMS: readonly OutboxStream[] = ['status', ...TELEMETRY_STREAMS];

export const DEFAULT_STREAM_POLICIES: Readonly<Record<OutboxStream, StreamPolicy>> = {
  status: { maxBytes: Infinity, ttlMs: Infinity, priority: 100 },
  events: { maxBytes: 8 * MiB, ttlMs: 7 * DAY, priority: 40 },
  health: { maxBytes: 8 * MiB, ttlMs: 3 * DAY, priority: 30 },
  inference: { maxBytes: 16 * MiB, ttlMs: 7 * DAY, priority: 20 },
  drift: { maxBytes: 32 * MiB, ttlMs: 14 * DAY, priority: 10 },
};

/** True when `s` is an outbox stream. */
export function isOutboxStream(s: unknown): s is OutboxStream {
  return typeof s === 'string' && (OUTBOX_STREAMS as readonly string[]).includes(s);
}

/**
 * Merges overrides into the defaults. Throws `EF_AGENT_OUTBOX_ARGUMENT` for an unknown stream,
 * a policy for status, or a non-positive cap or TTL.
 *
 * @example
 * resolveStreamPolicies({ drift: { maxBytes: 64 * 1024 * 1024 } }).drift.maxBytes; // 67108864
 */
export function resolveStreamPolicies(
  overrides: StreamPolicyOverrides = {},
): Record<OutboxStream, StreamPolicy> {
  const out = { ...DEFAULT_STREAM_POLICIES };
  for (const [stream, policy] of Object.entries(overrides)) {
    if (!(TELEMETRY_STREAMS as readonly string[]).includes(stream)) {
      throw new OutboxError(
        'EF_AGENT_OUTBOX_ARGUMENT',
        `no policy can be set for stream ${JSON.stringify(stream)} (status is never dropped; telemetry streams are ${TELEMETRY_STREAMS.join(', ')})`,
      );
    }
    const merged = { ...out[stream as TelemetryStream], ...policy };
    for (const key of ['maxBytes', 'ttlMs'] as const) {
      if (!(merged[key] > 0)) {
        throw new OutboxError('EF_AGENT_OUTBOX_ARGUMENT', `${stream}.${key} must be positive`);
      }
    }
    if (!Number.isFinite(merged.priority)) {
      throw new OutboxError('EF_AGENT_OUTBOX_ARGUMENT', `${stream}.priority must be a number`);
    }
    out[stream as TelemetryStream] = merged;
  }
  return out;
}

/** Streams in send order: highest priority first, status always first. */
export function streamsBySendOrder(
  policies: Readonly<Record<OutboxStream, StreamPolicy>>,
): OutboxStream[] {
  const telemetry = [...TELEMETRY_STREAMS].sort(
    (a, b) => policies[b].priority - policies[a].priority,
  );
  return ['status', ...telemetry];
}
