/**
 * The hub in external-broker mode on a real Mosquitto 2.0 started by the test (generated config
 * on a free port): the hub connects as `_hub` with `<data>/broker-hub.secret`, enrolment is
 * followed by regenerating password_file and a reload, and revocation goes through the hub's
 * own `mosquittoRevokeHook` (regenerate from the store, SIGHUP via the pid file).
 */
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startMosquitto } from '../../../../test/helpers/mosquitto.js';
import { hashDeviceSecret } from '../../src/broker/device-secrets.js';
import { HUB_BROKER_USERNAME } from '../../src/hub/device-auth.js';
import {
  loadHubBrokerSecret,
  mosquittoRevokeHook,
} from '../../src/mosquitto/hub-mosquitto-config.js';
import { mosquittoDevicesFromStore } from '../../src/mosquitto/mosquitto-store.js';
import { describeHubOnBroker } from './hub-broker-contract.js';
import { waitFor } from './hub-test-kit.js';

describeHubOnBroker('Mosquitto 2.0 (external broker mode)', async (kit, options) => {
  const dir = kit.tempDir('ef-hub-mosquitto-');
  const dataDir = join(dir, 'data');
  const secret = await loadHubBrokerSecret(dataDir);
  const broker = await startMosquitto({
    dir,
    devices: [],
    hub: { username: HUB_BROKER_USERNAME, secretHash: await hashDeviceSecret(secret) },
  });
  try {
    // The directory Mosquitto reads its files from: the hook regenerates them there.
    const confDir = (await readdir(dir)).find((name) => name.startsWith('mosquitto-'));
    if (confDir === undefined) throw new Error('no mosquitto config directory');
    const pidFile = join(dir, 'mosquitto.pid');
    await writeFile(pidFile, `${broker.pid}\n`);
    const reloads = () => broker.log().split('Reloading config.').length;
    const revoke = mosquittoRevokeHook({
      dataDir,
      outDir: join(dir, confDir),
      pidFile,
      port: broker.port,
      // Called on revocation only, once the hub below has started.
      store: () => hub.store,
    });
    const hub = await kit.start({
      ...options,
      dataDir,
      brokerUrl: broker.url,
      onRevoke: async (deviceId) => {
        const before = reloads();
        await revoke(deviceId);
        await waitFor(() => reloads() > before, 'Mosquitto reloaded');
      },
    });
    return {
      hub,
      admitEnrolled: async () =>
        broker.reload({ devices: await mosquittoDevicesFromStore(hub.store) }),
      // acl_file grants a device its whole subtree, so the hub sees (and counts) a bogus stream.
      unknownTopic: 'counted',
      // max_packet_size is the payload cap plus framing room, so one byte over reaches the hub.
      overCap: 'counted',
      close: () => broker.stop(),
    };
  } catch (err) {
    await broker.stop();
    throw err;
  }
});
