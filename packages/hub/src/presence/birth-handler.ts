/**
 * `ef/v1/d/<id>/birth` ([P-PR-1]): the device is online with this boot, agent, architecture and
 * models. A birth older than the stored one (a redelivery) changes nothing.
 */
import { parseBirth } from '@edgefleet/protocol';
import { admitDevice, parseOrReject } from '../ingest/admit-message.js';
import type { IngestContext } from '../ingest/ingest-context.js';
import { refreshOnlineGauge } from './online-gauge.js';

/**
 * Handles one birth message; never throws for bad input.
 *
 * @example
 * await handleBirth(ctx, 'press-07', payload);
 */
export async function handleBirth(
  ctx: IngestContext,
  deviceId: string,
  payload: Buffer,
): Promise<void> {
  const birth = parseOrReject(ctx, deviceId, payload, parseBirth);
  if (birth === undefined) return;
  if (!(await admitDevice(ctx, deviceId, birth.device, false))) return;
  const receivedAt = ctx.now();
  const accepted = await ctx.store.recordBirth(deviceId, {
    bootId: birth.bootId,
    agentVersion: birth.agentVersion,
    arch: birth.arch,
    platform: birth.platform,
    models: birth.models.map((m) => ({ name: m.name, version: m.version, sha256: m.sha256 })),
    ts: Math.max(0, Date.parse(birth.ts)),
    receivedAt,
  });
  ctx.lastSeen.seen(deviceId, receivedAt);
  if (accepted) {
    ctx.logger.info(
      { deviceId, bootId: birth.bootId, agentVersion: birth.agentVersion, arch: birth.arch },
      'device online',
    );
  }
  await refreshOnlineGauge(ctx);
}
