/**
 * The rollout engine's ports on the running hub: the fleet is the hub store's devices, a
 * notification is a signed desired state from the {@link DesiredStateService} (DESIGN section
 * 5: a rollback is a newer document pointing at the previous bundle, [P-DS-8]), and signals are
 * the statuses and telemetry the hub stored.
 */
import type { DesiredStateService } from '../desired/desired-state-service.js';
import type { RolloutDeployerPort, RolloutDevicesPort, RolloutPorts } from '../rollouts/index.js';
import type { HubStore } from '../storage/hub-store.js';
import { StoreSignals } from './rollout-signals.js';
import type { StoreSignalsOptions } from './rollout-signals.js';

/** What the ports are built on. */
export interface RolloutPortsDeps {
  store: HubStore;
  desired: DesiredStateService;
  signals?: StoreSignalsOptions;
}

/**
 * The fleet: enrolled devices by tag selector, and each device's release of a model in its
 * last desired state.
 *
 * @example
 * const devices = devicesPort(store, desired);
 * await devices.list({ site: 'plant-a' }); // [{ id: 'press-07', revoked: false }, ...]
 */
export function devicesPort(store: HubStore, desired: DesiredStateService): RolloutDevicesPort {
  return {
    async list(selector) {
      const devices = await store.listDevices({ ...selector });
      return devices.map((d) => ({ id: d.id, revoked: d.revokedAt !== null }));
    },
    async currentRelease(deviceId, model) {
      const current = (await desired.currentModels(deviceId)).find((m) => m.name === model);
      return current === undefined ? null : { name: current.name, version: current.version };
    },
  };
}

/**
 * Publishing: each assignment is a new signed, retained desired state that keeps the device's
 * other models and carries the rollout id and wave ([P-DS-1]).
 *
 * @example
 * await deployerPort(store, desired).assign('press-07', { name: 'pm', version: '1.1.0' },
 *   { rolloutId: 'ro-abc', wave: 0, allowDowngrade: false }); // { desiredVersion: 4 }
 */
export function deployerPort(store: HubStore, desired: DesiredStateService): RolloutDeployerPort {
  return {
    async hasRelease(release) {
      return (await store.getRelease(release.name, release.version)) !== undefined;
    },
    async assign(deviceId, release, options) {
      const deployed = await desired.deploy(release.name, release.version, deviceId, {
        allowDowngrade: options.allowDowngrade,
        rolloutId: options.rolloutId,
        wave: options.wave,
      });
      return { desiredVersion: deployed.desiredVersion };
    },
    async unassign(deviceId, model, options) {
      const published = await desired.unassign(deviceId, model, {
        allowDowngrade: options.allowDowngrade,
      });
      return { desiredVersion: published.version };
    },
  };
}

/**
 * Every port the engine needs, on the hub's store and desired-state service.
 *
 * @example
 * const engine = RolloutEngine.open(join(dataDir, 'hub.db'), { ports: createRolloutPorts({ store, desired }) });
 */
export function createRolloutPorts(deps: RolloutPortsDeps): RolloutPorts {
  return {
    devices: devicesPort(deps.store, deps.desired),
    deployer: deployerPort(deps.store, deps.desired),
    signals: new StoreSignals(deps.store, deps.signals),
  };
}
