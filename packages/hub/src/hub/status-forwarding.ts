/**
 * Hands every newly stored deployment status ([P-ST-1]) to a listener, the rollout engine,
 * once its transaction has committed: the store the ingest batcher writes through is wrapped,
 * so a status reaches the engine only after it is safe on disk (a hub killed in between finds
 * it again through the engine's catch-up read), and a duplicate, stored before, is not handed
 * on twice.
 */
import type { DeviceStatusReport } from '../rollouts/index.js';
import type {
  HubStore,
  IngestResult,
  NewDeploymentStatus,
  TelemetryItem,
} from '../storage/hub-store.js';

/** Receives one stored status; must not throw (it is called on the ingest path). */
export type StoredStatusListener = (deviceId: string, status: DeviceStatusReport) => void;

/**
 * A stored status as the engine reads it.
 *
 * @example
 * engine.onDeviceStatus(record.deviceId, statusReport(record));
 */
export function statusReport(s: NewDeploymentStatus): DeviceStatusReport {
  return {
    model: s.model,
    version: s.version,
    state: s.state as DeviceStatusReport['state'],
    ts: s.ts,
    desiredVersion: s.desiredVersion,
    ...(s.errorCode === null
      ? {}
      : {
          error: {
            code: s.errorCode,
            ...(s.errorMessage === null ? {} : { message: s.errorMessage }),
          },
        }),
  };
}

/**
 * `store` with `ingestTelemetryBatch` calling `listener` for each deployment status it stored.
 *
 * @example
 * const ingestStore = forwardStoredStatuses(store, (id, s) => void engine.onDeviceStatus(id, s));
 * new IngestBatcher({ store: ingestStore, ... });
 */
export function forwardStoredStatuses(store: HubStore, listener: StoredStatusListener): HubStore {
  const ingest = async (items: readonly TelemetryItem[]): Promise<IngestResult[]> => {
    const results = await store.ingestTelemetryBatch(items);
    items.forEach((item, i) => {
      if (results[i] !== 'stored') return;
      for (const effect of item.effects ?? []) {
        if (effect.kind === 'deployment-status')
          listener(item.deviceId, statusReport(effect.status));
      }
    });
    return results;
  };
  return new Proxy(store, {
    get(target, property) {
      if (property === 'ingestTelemetryBatch') return ingest;
      const value: unknown = Reflect.get(target, property, target);
      // Methods run on the real store (its private fields are not on the proxy).
      return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
    },
  });
}
