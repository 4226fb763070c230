/**
 * Routes each MQTT message the hub receives to its handler by topic kind ([P-TP-1]: topics
 * are read only with `parseTopic`). Oversized payloads and topics outside the layout are
 * dropped and counted; nothing a device sends can throw out of here.
 */
import { parseTopic } from '@edgefleet/protocol';
import type { ParsedTopic } from '@edgefleet/protocol';
import { handleBirth } from '../presence/birth-handler.js';
import { handleDeath } from '../presence/death-handler.js';
import { handleBlobRequest } from './blob-request-handler.js';
import type { IngestContext } from './ingest-context.js';
import { handleStatus } from './status-handler.js';
import { handleTelemetry } from './telemetry-handler.js';

/** Options of {@link createMessageRouter}. */
export interface MessageRouterOptions {
  /** Largest payload handled; larger ones are dropped as `too-large` before parsing. */
  maxPayloadBytes: number;
}

function deviceOf(topic: string): string | undefined {
  const m = /^ef\/v1\/d\/([^/]{1,64})\//.exec(topic);
  return m?.[1];
}

async function dispatch(ctx: IngestContext, parsed: ParsedTopic, payload: Buffer): Promise<void> {
  switch (parsed.kind) {
    case 'telemetry':
      return handleTelemetry(ctx, parsed.deviceId, parsed.stream, payload);
    case 'status':
      return handleStatus(ctx, parsed.deviceId, payload);
    case 'birth':
      return handleBirth(ctx, parsed.deviceId, payload);
    case 'death':
      return handleDeath(ctx, parsed.deviceId, payload);
    case 'blob-req':
      return handleBlobRequest(ctx, parsed.deviceId, payload);
    default:
      // Hub -> device topics (desired, ack, blob/res, hub state) are never inputs.
      ctx.rejects.reject(
        'deviceId' in parsed ? parsed.deviceId : undefined,
        'topic',
        `${parsed.kind} is not a device -> hub topic`,
      );
  }
}

/**
 * Returns the `message` listener of the hub's MQTT client.
 *
 * @example
 * client.on('message', createMessageRouter(ctx, { maxPayloadBytes: 256 * 1024 }));
 */
export function createMessageRouter(
  ctx: IngestContext,
  options: MessageRouterOptions,
): (topic: string, payload: Buffer) => void {
  return (topic, payload) => {
    let parsed: ParsedTopic;
    try {
      parsed = parseTopic(topic);
    } catch (err) {
      ctx.metrics.messagesIn.inc({ kind: 'unknown' });
      ctx.rejects.reject(
        deviceOf(topic),
        'topic',
        err instanceof Error ? err.message : String(err),
      );
      return;
    }
    ctx.metrics.messagesIn.inc({ kind: parsed.kind });
    const deviceId = 'deviceId' in parsed ? parsed.deviceId : undefined;
    if (payload.length > options.maxPayloadBytes) {
      ctx.rejects.reject(deviceId, 'too-large', `${payload.length}-byte payload on ${parsed.kind}`);
      return;
    }
    dispatch(ctx, parsed, payload).catch((err: unknown) => {
      // Store failures (disk full) and bugs: counted and logged, never fatal.
      ctx.rejects.reject(deviceId, 'internal', err instanceof Error ? err.message : String(err));
    });
  };
}
