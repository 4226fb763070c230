/**
 * `ef/v1/d/<id>/death` ([P-PR-2]): the device went offline (its MQTT will, or a clean
 * shutdown). The will of a connection the device already replaced is older than the current
 * birth and changes nothing.
 */
import { parseDeath } from '@edgefleet/protocol';
import { admitDevice, parseOrReject } from '../ingest/admit-message.js';
import type { IngestContext } from '../ingest/ingest-context.js';
import { refreshOnlineGauge } from './online-gauge.js';

/**
 * Handles one death message; never throws for bad input.
 *
 * @example
 * await handleDeath(ctx, 'press-07', payload);
 */
export async function handleDeath(
  ctx: IngestContext,
  deviceId: string,
  payload: Buffer,
): Promise<void> {
  const death = parseOrReject(ctx, deviceId, payload, parseDeath);
  if (death === undefined) return;
  // A revoked device's will still says it is gone; only unknown devices are refused.
  if (death.device !== deviceId || (await ctx.gate.check(deviceId)) === 'unknown-device') {
    await admitDevice(ctx, deviceId, death.device, false);
    return;
  }
  const receivedAt = ctx.now();
  const applied = await ctx.store.recordDeath(deviceId, {
    bootId: death.bootId,
    ts: Math.max(0, Date.parse(death.ts)),
    receivedAt,
    reason: death.reason,
  });
  if (applied) ctx.logger.info({ deviceId, reason: death.reason }, 'device offline');
  await refreshOnlineGauge(ctx);
}
