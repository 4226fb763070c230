/**
 * `ef/v1/d/<id>/status`: a deployment status report ([P-ST-1]). Stored like telemetry (stream
 * `status`, deduplicated and acked on the same per-boot seq, [P-AK-1]), and it updates the
 * device's deployment history and latest state per model.
 */
import { parseStatus } from '@edgefleet/protocol';
import { admitDevice, parseOrReject } from './admit-message.js';
import type { IngestContext } from './ingest-context.js';

/** The stream name status reports are stored under. */
export const STATUS_STREAM = 'status';

/**
 * Handles one status message; never throws for bad input.
 *
 * @example
 * await handleStatus(ctx, 'press-07', payload);
 */
/**
 * A device reports a refused desired state under the version the document claimed, which is
 * unverified: a forged, replayed or other device's document must not make the device look failed
 * to rollouts. A refusal (`<version>:<model>:refused`) becomes deployment state only when it
 * names the document the hub last published to this device; otherwise it stays in the history.
 */
async function refusalCounts(
  ctx: IngestContext,
  deviceId: string,
  executionId: string,
  desiredVersion: number,
): Promise<boolean> {
  if (!executionId.endsWith(':refused')) return true;
  try {
    const desired = await ctx.store.getDesiredState(deviceId);
    return desired?.envelope?.version === desiredVersion;
  } catch {
    return false;
  }
}

export async function handleStatus(
  ctx: IngestContext,
  deviceId: string,
  payload: Buffer,
): Promise<void> {
  const status = parseOrReject(ctx, deviceId, payload, parseStatus);
  if (status === undefined) return;
  if (!(await admitDevice(ctx, deviceId, status.device, true))) return;
  // Device times before 1970 are clamped: the store keeps non-negative times only.
  const ts = Math.max(0, Date.parse(status.ts));
  const counts = await refusalCounts(ctx, deviceId, status.executionId, status.desiredVersion);
  ctx.batcher.add({
    item: {
      deviceId,
      bootId: status.bootId,
      seq: status.seq,
      stream: STATUS_STREAM,
      payloadJson: payload.toString('utf8'),
      receivedAt: ctx.now(),
      effects: !counts
        ? []
        : [
            {
              kind: 'deployment-status',
              status: {
                executionId: status.executionId,
                model: status.model,
                version: status.version,
                sha256: status.sha256,
                state: status.state,
                desiredVersion: status.desiredVersion,
                ts,
                errorCode: status.error?.code ?? null,
                errorMessage: status.error?.message ?? null,
                progress: status.progress
                  ? { bytes: status.progress.bytes, total: status.progress.total }
                  : null,
              },
            },
          ],
    },
    sentAt: ts,
  });
}
