/**
 * `ef/v1/d/<id>/blob/req` ([P-BL-1]): a block request, queued on the fair blob server and
 * answered on the device's own `blob/res` topic (MQTT 3.1.1 has no response topic).
 */
import { parseBlobRequest } from '@edgefleet/protocol';
import { parseOrReject } from './admit-message.js';
import type { IngestContext } from './ingest-context.js';

/**
 * Handles one blob request; never throws for bad input.
 *
 * @example
 * await handleBlobRequest(ctx, 'press-07', payload);
 */
export async function handleBlobRequest(
  ctx: IngestContext,
  deviceId: string,
  payload: Buffer,
): Promise<void> {
  const req = parseOrReject(ctx, deviceId, payload, parseBlobRequest);
  if (req === undefined) return;
  const admission = await ctx.gate.check(deviceId);
  if (admission !== 'ok') {
    ctx.rejects.reject(deviceId, admission, `blob request from a device that is ${admission}`);
    return;
  }
  ctx.blobServer.request(deviceId, req);
}
