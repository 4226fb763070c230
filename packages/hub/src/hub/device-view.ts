/** The API's view of a device, assembled from the store's device, presence and report tables. */
import type { DeviceModelView, DeviceView } from '../api/hub-api.js';
import { readStoredEnvelope } from '../desired/desired-document.js';
import type { DeploymentStatusRecord, DeviceRecord, HubStore } from '../storage/hub-store.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** States in which the reported version is the one the device runs. */
const RUNNING_STATES = new Set(['installed', 'healthy']);

function parseJsonOrNull(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

/**
 * What the device runs: its birth's models, updated by later status reports that installed a
 * version (a device reports a rollout before it next reconnects).
 */
function runningModels(
  birthModels: DeviceModelView[],
  birthTs: number | null,
  latest: DeploymentStatusRecord[],
): DeviceModelView[] {
  const byName = new Map(birthModels.map((m) => [m.name, m]));
  for (const s of latest) {
    if (RUNNING_STATES.has(s.state) && (birthTs === null || s.ts >= birthTs)) {
      byName.set(s.model, { name: s.model, version: s.version, sha256: s.sha256 });
    }
  }
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * Builds the view of one stored device.
 *
 * @example
 * const view = await buildDeviceView(store, await store.getDevice('press-07'));
 */
export async function buildDeviceView(store: HubStore, device: DeviceRecord): Promise<DeviceView> {
  const [presence, desired, latest, health, drift] = await Promise.all([
    store.getPresence(device.id),
    store.getDesiredState(device.id),
    store.latestDeployments([device.id]),
    store.latestHealth(device.id),
    store.latestDrift(device.id),
  ]);
  const envelope = desired?.envelope ?? null;
  return {
    id: device.id,
    tags: { ...device.tags },
    createdAt: new Date(device.createdAt).toISOString(),
    revokedAt: iso(device.revokedAt),
    lastSeenAt: iso(device.lastSeenAt),
    online: device.revokedAt === null && presence?.online === true,
    models: runningModels(presence?.models ?? [], presence?.birthTs ?? null, latest),
    desired:
      envelope === null
        ? null
        : {
            version: envelope.version,
            expires: new Date(envelope.expiresAt).toISOString(),
            models: readStoredEnvelope(envelope.envelopeJson).models.map((m) => ({
              name: m.name,
              version: m.version,
              sha256: m.sha256,
            })),
          },
    deployments: latest.map((s) => ({
      model: s.model,
      version: s.version,
      state: s.state,
      ...(s.errorCode === null ? {} : { errorCode: s.errorCode }),
      ts: new Date(s.ts).toISOString(),
    })),
    health: health === undefined ? null : parseJsonOrNull(health.recordJson),
    drift: drift.map((d) => parseJsonOrNull(d.recordJson)),
  };
}
