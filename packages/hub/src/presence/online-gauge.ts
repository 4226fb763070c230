/** Keeps the devices-online gauge in step with the store after presence changes. */
import type { IngestContext } from '../ingest/ingest-context.js';

/** Re-reads the online count into the gauge; a store failure leaves the old value. */
export async function refreshOnlineGauge(
  ctx: Pick<IngestContext, 'store' | 'metrics'>,
): Promise<void> {
  try {
    ctx.metrics.devicesOnline.set(await ctx.store.countOnline());
  } catch {
    // The gauge is advisory; the next presence change refreshes it.
  }
}
