/**
 * The checks every device report passes before a handler acts on it: parsed by its protocol
 * parser, addressed to the topic's own device, from an enrolled and unrevoked device, within
 * the device's rate limit. Failures are counted and logged by reason, never thrown.
 */
import { isUtf8 } from 'node:buffer';
import { DEFAULT_MAX_MESSAGE_BYTES, EdgefleetError } from '@edgefleet/protocol';
import type { RejectReason } from '../metrics/hub-metrics.js';
import type { IngestContext } from './ingest-context.js';

/** The reject reason for a protocol parser's error. */
export function parseRejectReason(err: unknown): RejectReason {
  if (!(err instanceof EdgefleetError)) return 'internal';
  if (err.code === 'EF_PROTO_JSON') return 'json';
  if (err.code === 'EF_PROTO_TOO_LARGE') return 'too-large';
  return 'schema';
}

/**
 * The payload as text, or undefined (counted as the protocol parsers count it: `too-large` over
 * the [P-MS-1] cap, `json` when not valid UTF-8). Handlers that store the text decode it once
 * with this and hand the text to the parser, instead of the parser and the store each decoding
 * the bytes.
 *
 * @example
 * const text = textOrReject(ctx, 'press-07', payload);
 */
export function textOrReject(
  ctx: IngestContext,
  deviceId: string,
  payload: Buffer,
): string | undefined {
  if (payload.length > DEFAULT_MAX_MESSAGE_BYTES) {
    ctx.rejects.reject(deviceId, 'too-large', `${payload.length}-byte message`);
    return undefined;
  }
  if (isUtf8(payload)) return payload.toString('utf8');
  ctx.rejects.reject(deviceId, 'json', 'payload is not valid UTF-8');
  return undefined;
}

/**
 * Parses `payload` (bytes or text) with `parse`; undefined (counted and logged) when it does
 * not parse.
 *
 * @example
 * const batch = parseOrReject(ctx, 'press-07', payload, parseTelemetryBatch);
 */
export function parseOrReject<T>(
  ctx: IngestContext,
  deviceId: string,
  payload: Buffer | string,
  parse: (input: unknown) => T,
): T | undefined {
  try {
    return parse(payload);
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    ctx.rejects.reject(deviceId, parseRejectReason(err), detail);
    return undefined;
  }
}

/**
 * True when the device named in the body is the topic's device, is enrolled and not revoked,
 * and (when `rateLimited`) has a token left; otherwise counts the drop and returns false.
 */
export async function admitDevice(
  ctx: IngestContext,
  topicDeviceId: string,
  bodyDeviceId: string,
  rateLimited: boolean,
): Promise<boolean> {
  if (bodyDeviceId !== topicDeviceId) {
    ctx.rejects.reject(
      topicDeviceId,
      'device-mismatch',
      `message names device ${bodyDeviceId} on device ${topicDeviceId}'s topic`,
    );
    return false;
  }
  const admission = await ctx.gate.check(topicDeviceId);
  if (admission !== 'ok') {
    ctx.rejects.reject(
      topicDeviceId,
      admission,
      `device ${topicDeviceId} is ${admission === 'revoked' ? 'revoked' : 'not enrolled'}`,
    );
    return false;
  }
  if (rateLimited && !ctx.limiter.take(topicDeviceId)) {
    ctx.rejects.reject(topicDeviceId, 'rate-limited', 'device is over its message rate');
    return false;
  }
  return true;
}
