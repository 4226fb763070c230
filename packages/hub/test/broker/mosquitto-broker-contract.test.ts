import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMosquitto } from '../../../../test/helpers/mosquitto.js';
import type { MosquittoDevice } from '../../src/mosquitto/mosquitto-config.js';
import { describeBrokerContract } from './broker-contract.js';

describeBrokerContract('Mosquitto 2.0 (password_file + acl_file)', async (fleet) => {
  const dir = await mkdtemp(join(tmpdir(), 'ef-mosquitto-contract-'));
  const devices = (revoked: ReadonlySet<string>): MosquittoDevice[] =>
    [...fleet.hashes].map(([id, secretHash]) => ({ id, secretHash, revoked: revoked.has(id) }));
  const revoked = new Set<string>();
  const hub = { username: fleet.hub.username, secretHash: fleet.hub.secretHash };
  try {
    const broker = await startMosquitto({ dir, devices: devices(revoked), hub });
    return {
      url: broker.url,
      // Mosquitto 2.0.11 does not check SUBSCRIBE against acl_file; delivery is filtered.
      deniedSubscribe: 'granted-but-filtered',
      deniedPublish: 'puback-and-drop',
      // What the hub does in external mode: regenerate password_file, then SIGHUP.
      async revoke(id) {
        revoked.add(id);
        await broker.reload({ devices: devices(revoked) });
      },
      async close() {
        await broker.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
});
