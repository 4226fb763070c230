/** The hub's {@link HubApi}: what the HTTP layer and tests call, on top of the hub's services. */
import type { SignedKeyring } from '@edgefleet/protocol';
import type { Logger } from 'pino';
import type { DeviceProvisioning, DeviceView, HubApi } from '../api/hub-api.js';
import type { BlobStore } from '../blobs/blob-store.js';
import { generateDeviceSecret, hashDeviceSecret } from '../broker/device-secrets.js';
import type { DesiredStateService } from '../desired/desired-state-service.js';
import type { DeviceGate } from '../ingest/device-gate.js';
import type { TokenBuckets } from '../ingest/token-buckets.js';
import type { HubMetrics } from '../metrics/hub-metrics.js';
import { refreshOnlineGauge } from '../presence/online-gauge.js';
import { publishRelease, releaseView } from '../releases/publish-release.js';
import { findRelease, listReleaseViews } from '../releases/release-queries.js';
import { RolloutError } from '../rollouts/index.js';
import type { RolloutEngine } from '../rollouts/index.js';
import type { DeviceRecord, HubStore } from '../storage/hub-store.js';
import { StorageError } from '../storage/storage-errors.js';
import { buildDeviceView } from './device-view.js';
import { HubStartError } from './hub-start-errors.js';
import { eventView, progressView, rolloutOptionsInput, rolloutView } from './rollout-views.js';

/** What the API needs. */
export interface HubApiDeps {
  store: HubStore;
  blobs: BlobStore;
  desired: DesiredStateService;
  /** The staged-rollout engine (started by the hub). */
  rollouts: RolloutEngine;
  gate: DeviceGate;
  limiter: TokenBuckets;
  metrics: HubMetrics;
  logger: Logger;
  keyring: SignedKeyring;
  rootPublicKeys: string[];
  /** The broker URL and HTTP base URL written into `device.json`. */
  publicBrokerUrl: string;
  publicHttpUrl: string | undefined;
  /** Cuts a revoked device's broker connections (embedded broker or the onRevoke hook). */
  disconnect: (deviceId: string) => Promise<void>;
  /** True once the hub is closing. */
  isClosed: () => boolean;
  now?: () => number;
}

/**
 * Creates the API object.
 *
 * @example
 * const api = createHubApi(deps);
 * const { provisioning } = await api.enrollDevice('press-07', { site: 'a' });
 */
export function createHubApi(deps: HubApiDeps): HubApi {
  const { store } = deps;
  const now = () => deps.now?.() ?? Date.now();
  const open = () => {
    if (deps.isClosed()) throw new HubStartError('EF_HUB_CLOSED', 'the hub is closed');
  };
  const view = (device: DeviceRecord): Promise<DeviceView> => buildDeviceView(store, device);
  const requireDevice = async (id: string): Promise<DeviceRecord> => {
    const device = await store.getDevice(id);
    if (device === undefined) {
      // The store's own code for an unknown device, so the HTTP layer maps one code to 404.
      throw new StorageError('EF_HUB_STORE_UNKNOWN_DEVICE', `device ${id} is not enrolled`, {
        deviceId: id,
      });
    }
    return device;
  };

  return {
    async publishRelease(bundle) {
      open();
      const release = await publishRelease(bundle, {
        store,
        blobs: deps.blobs,
        keyring: deps.keyring,
      });
      deps.logger.info(
        { name: release.name, version: release.version, sha256: release.sha256 },
        'release published',
      );
      return release;
    },
    async listReleases(name) {
      open();
      return listReleaseViews(store, name);
    },
    async getRelease(name, version) {
      open();
      const record = await findRelease(store, name, version);
      return record === undefined ? undefined : releaseView(record);
    },
    async enrollDevice(id, tags) {
      open();
      const secret = generateDeviceSecret();
      const device = await store.enrollDevice({
        id,
        tags,
        secretHash: await hashDeviceSecret(secret),
        createdAt: now(),
      });
      deps.gate.invalidate(id);
      const provisioning: DeviceProvisioning = {
        deviceId: id,
        brokerUrl: deps.publicBrokerUrl,
        username: id,
        password: secret,
        rootPublicKeys: [...deps.rootPublicKeys],
        keyring: deps.keyring,
        ...(deps.publicHttpUrl === undefined ? {} : { hubUrl: deps.publicHttpUrl }),
      };
      deps.logger.info({ deviceId: id, tags }, 'device enrolled');
      return { device: await view(device), provisioning };
    },
    async listDevices(selector) {
      open();
      return Promise.all((await store.listDevices(selector)).map(view));
    },
    async getDevice(id) {
      open();
      const device = await store.getDevice(id);
      return device === undefined ? undefined : view(device);
    },
    async tagDevice(id, tags) {
      open();
      const device = await requireDevice(id);
      const merged: Record<string, string> = { ...device.tags };
      for (const [key, value] of Object.entries(tags)) {
        if (value === '') delete merged[key];
        else merged[key] = value;
      }
      return view(await store.setTags(id, merged));
    },
    async revokeDevice(id) {
      open();
      const device = await store.revokeDevice(id, now());
      deps.gate.invalidate(id);
      deps.limiter.forget(id);
      await store.markOffline(id, now(), 'revoked');
      await refreshOnlineGauge(deps);
      await deps.desired.clearRetained(id);
      deps.logger.info({ deviceId: id }, 'device revoked');
      try {
        await deps.disconnect(id);
      } catch (err) {
        throw new HubStartError(
          'EF_HUB_REVOKE_DISCONNECT',
          `device ${id} is revoked but could not be disconnected: ${err instanceof Error ? err.message : String(err)}`,
          { deviceId: id },
          { cause: err },
        );
      }
      return view(device);
    },
    async deploy(name, version, deviceId, options) {
      open();
      return deps.desired.deploy(name, version, deviceId, options);
    },
    async createRollout(request) {
      open();
      const rollout = await deps.rollouts.create(rolloutOptionsInput(request));
      deps.logger.info(
        {
          rolloutId: rollout.id,
          release: `${rollout.options.release.name}@${rollout.options.release.version}`,
        },
        'rollout created',
      );
      return progressView(await deps.rollouts.status(rollout.id));
    },
    async listRollouts() {
      open();
      return (await deps.rollouts.list()).map(rolloutView);
    },
    async getRolloutStatus(id) {
      open();
      return progressView(await deps.rollouts.status(id));
    },
    async pauseRollout(id) {
      open();
      await deps.rollouts.pause(id);
      return progressView(await deps.rollouts.status(id));
    },
    async resumeRollout(id) {
      open();
      await deps.rollouts.resume(id);
      return progressView(await deps.rollouts.status(id));
    },
    async abortRollout(id) {
      open();
      await deps.rollouts.abort(id);
      return progressView(await deps.rollouts.status(id));
    },
    async rollbackRollout(id) {
      open();
      await deps.rollouts.rollback(id);
      return progressView(await deps.rollouts.status(id));
    },
    async rolloutEvents(id, afterId) {
      open();
      if (afterId !== undefined && (!Number.isSafeInteger(afterId) || afterId < 0)) {
        throw new RolloutError('EF_HUB_ROLLOUT_OPTIONS', 'afterId must be a non-negative integer');
      }
      const events = await deps.rollouts.events(id, afterId === undefined ? {} : { afterId });
      return events.map(eventView);
    },
    async openBlob(sha256) {
      open();
      const blob = await deps.blobs.open(sha256);
      return blob === undefined
        ? undefined
        : { sha256: blob.sha256, size: blob.size, stream: (start, end) => blob.stream(start, end) };
    },
    async metricsText() {
      await refreshOnlineGauge(deps);
      return deps.metrics.text();
    },
  };
}
