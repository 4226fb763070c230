/** Feeds `writeMosquittoConfig` from the hub's store (issue 5, `hub mosquitto-config`). */
import type { HubStore } from '../storage/hub-store.js';
import type { MosquittoDevice } from './mosquitto-config.js';

/**
 * Every enrolled device with its stored secret hash; revoked ones are marked so
 * `writeMosquittoConfig` leaves them out of password_file. Storage errors propagate unchanged.
 *
 * @example
 * await writeMosquittoConfig({ outDir, devices: await mosquittoDevicesFromStore(store), hub });
 */
export async function mosquittoDevicesFromStore(
  store: Pick<HubStore, 'listDevices'>,
): Promise<MosquittoDevice[]> {
  const devices = await store.listDevices();
  return devices.map((d) => ({
    id: d.id,
    secretHash: d.secretHash,
    revoked: d.revokedAt !== null,
  }));
}
