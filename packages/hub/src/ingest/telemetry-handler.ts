/**
 * `ef/v1/d/<id>/tel/<stream>`: a telemetry batch ([P-TL-1]). Checked, then queued for storage
 * with the derived "latest" state it carries (newest health record, newest drift window per
 * model); acked once stored ([P-AK-2]).
 */
import { parseTelemetryBatch } from '@edgefleet/protocol';
import type { TelemetryBatch, TelemetryStream } from '@edgefleet/protocol';
import type { TelemetryEffect } from '../storage/hub-store.js';
import { admitDevice, parseOrReject, textOrReject } from './admit-message.js';
import type { IngestContext } from './ingest-context.js';

/**
 * The latest-state effects of a batch. Device times before 1970 are clamped to 0: the store
 * keeps non-negative times only.
 */
function effectsOf(batch: TelemetryBatch): TelemetryEffect[] {
  if (batch.stream === 'health') {
    // The newest record (the last of equal times); each time is parsed once.
    let newest = batch.records[0];
    let newestAt = Number.NEGATIVE_INFINITY;
    for (const r of batch.records) {
      const at = Date.parse(r.ts);
      if (at >= newestAt) {
        newest = r;
        newestAt = at;
      }
    }
    if (newest === undefined) return [];
    return [{ kind: 'health', recordJson: JSON.stringify(newest), ts: Math.max(0, newestAt) }];
  }
  if (batch.stream === 'drift') {
    const byModel = new Map<string, { r: (typeof batch.records)[number]; at: number }>();
    for (const r of batch.records) {
      const at = Date.parse(r.windowEnd);
      const seen = byModel.get(r.model);
      if (seen === undefined || at >= seen.at) byModel.set(r.model, { r, at });
    }
    return [...byModel.values()].map(({ r, at }) => ({
      kind: 'drift',
      model: r.model,
      version: r.version,
      recordJson: JSON.stringify(r),
      windowEnd: Math.max(0, at),
    }));
  }
  return [];
}

/**
 * Handles one telemetry message; never throws for bad input.
 *
 * @example
 * await handleTelemetry(ctx, 'press-07', 'health', payload);
 */
export async function handleTelemetry(
  ctx: IngestContext,
  deviceId: string,
  stream: TelemetryStream,
  payload: Buffer,
): Promise<void> {
  const text = textOrReject(ctx, deviceId, payload);
  if (text === undefined) return;
  const batch = parseOrReject(ctx, deviceId, text, parseTelemetryBatch);
  if (batch === undefined) return;
  if (batch.stream !== stream) {
    ctx.rejects.reject(deviceId, 'schema', `a ${batch.stream} batch on the tel/${stream} topic`);
    return;
  }
  if (!(await admitDevice(ctx, deviceId, batch.device, true))) return;
  ctx.batcher.add({
    item: {
      deviceId,
      bootId: batch.bootId,
      seq: batch.seq,
      stream,
      payloadJson: text,
      receivedAt: ctx.now(),
      effects: effectsOf(batch),
    },
    sentAt: Date.parse(batch.sentAt),
  });
}
