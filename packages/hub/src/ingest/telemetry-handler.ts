/**
 * `ef/v1/d/<id>/tel/<stream>`: a telemetry batch ([P-TL-1]). Checked, then queued for storage
 * with the derived "latest" state it carries (newest health record, newest drift window per
 * model); acked once stored ([P-AK-2]).
 */
import { parseTelemetryBatch } from '@edgefleet/protocol';
import type { TelemetryBatch, TelemetryStream } from '@edgefleet/protocol';
import type { TelemetryEffect } from '../storage/hub-store.js';
import { admitDevice, parseOrReject } from './admit-message.js';
import type { IngestContext } from './ingest-context.js';

/** Device times before 1970 are clamped: the store keeps non-negative times only. */
const time = (iso: string) => Math.max(0, Date.parse(iso));

function effectsOf(batch: TelemetryBatch): TelemetryEffect[] {
  if (batch.stream === 'health') {
    const newest = batch.records.reduce((a, b) => (Date.parse(b.ts) >= Date.parse(a.ts) ? b : a));
    return [{ kind: 'health', recordJson: JSON.stringify(newest), ts: time(newest.ts) }];
  }
  if (batch.stream === 'drift') {
    const byModel = new Map<string, (typeof batch.records)[number]>();
    for (const r of batch.records) {
      const seen = byModel.get(r.model);
      if (seen === undefined || Date.parse(r.windowEnd) >= Date.parse(seen.windowEnd)) {
        byModel.set(r.model, r);
      }
    }
    return [...byModel.values()].map((r) => ({
      kind: 'drift',
      model: r.model,
      version: r.version,
      recordJson: JSON.stringify(r),
      windowEnd: time(r.windowEnd),
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
  const batch = parseOrReject(ctx, deviceId, payload, parseTelemetryBatch);
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
      payloadJson: payload.toString('utf8'),
      receivedAt: ctx.now(),
      effects: effectsOf(batch),
    },
    sentAt: Date.parse(batch.sentAt),
  });
}
