/**
 * Enrols simulated devices through the hub's HTTP API, as an operator would, and keeps each
 * one's device.json in its state directory so the next run re-uses the enrolment.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { loadDeviceConfig } from '@edgefleet/agent';
import { isEdgefleetError } from '@edgefleet/protocol';
import type { DeviceProvisioning } from '@edgefleet/protocol';

import type { HubClient } from '../hub-client.js';
import type { DeviceView } from '../hub-views.js';
import type { SimDevice } from './fleet-layout.js';
import { SimError } from './sim-errors.js';

/** A device's credentials and whether they came from an earlier run. */
export interface Enrolment {
  provisioning: DeviceProvisioning;
  reused: boolean;
}

/**
 * The hub's simulated devices (`fleet=sim`) by id, so re-used device.json files can be checked
 * against it in one request.
 *
 * @example
 * const known = await knownSimDevices(hub);
 */
export async function knownSimDevices(hub: HubClient): Promise<Map<string, DeviceView>> {
  const devices = await hub.getJson<DeviceView[]>('/v1/devices', { selector: 'fleet=sim' });
  return new Map(devices.map((d) => [d.id, d]));
}

async function localDeviceId(path: string): Promise<string | undefined> {
  try {
    return (JSON.parse(await readFile(path, 'utf8')) as { deviceId?: string }).deviceId;
  } catch {
    return undefined;
  }
}

/**
 * `device`'s credentials: its `<dir>/device.json` when the hub still knows the device, else a
 * fresh enrolment written there (mode 0600). A device.json the hub has never heard of (state
 * left from another hub) is deleted with its state, and the device enrolled again.
 *
 * @throws SimError EF_CLI_SIM_ENROLLED when the hub has the device but the secret is not here,
 *   or the device was revoked; the hub's coded errors otherwise
 * @example
 * const { provisioning, reused } = await enrolSimDevice(hub, device, dir, known);
 */
export async function enrolSimDevice(
  hub: HubClient,
  device: SimDevice,
  dir: string,
  known: ReadonlyMap<string, DeviceView>,
): Promise<Enrolment> {
  const file = join(dir, 'device.json');
  const onHub = known.get(device.id);
  const localId = await localDeviceId(file);
  if (localId === device.id && onHub !== undefined && onHub.revokedAt === null) {
    return { provisioning: await loadDeviceConfig(file), reused: true };
  }
  if (onHub !== undefined) {
    throw new SimError(
      'EF_CLI_SIM_ENROLLED',
      onHub.revokedAt === null
        ? `${device.id} is enrolled on the hub but ${file} is missing; use the --state-dir of the run that enrolled it, another --prefix, or a fresh hub`
        : `${device.id} was revoked on this hub; use another --prefix or a fresh hub`,
      { deviceId: device.id, dir },
    );
  }
  // State of a device this hub does not know (another hub's run): it could never connect.
  if (localId === device.id) await rm(dir, { recursive: true, force: true });
  let answer: { provisioning: DeviceProvisioning };
  try {
    answer = await hub.sendJson('POST', '/v1/devices', { id: device.id, tags: device.tags });
  } catch (err) {
    if (isEdgefleetError(err) && err.code === 'EF_HUB_STORE_DUPLICATE_DEVICE') {
      throw new SimError(
        'EF_CLI_SIM_ENROLLED',
        `${device.id} was enrolled on the hub meanwhile by someone else; its secret is not here`,
        { deviceId: device.id, dir },
        { cause: err },
      );
    }
    throw err;
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFile(file, `${JSON.stringify(answer.provisioning, null, 2)}\n`, { mode: 0o600 });
  return { provisioning: answer.provisioning, reused: false };
}
