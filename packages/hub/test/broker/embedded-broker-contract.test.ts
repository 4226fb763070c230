import type { BrokerPrincipal } from '../../src/broker/broker-acl.js';
import { verifyDeviceSecret } from '../../src/broker/device-secrets.js';
import { startEmbeddedBroker } from '../../src/broker/embedded-broker.js';
import { describeBrokerContract } from './broker-contract.js';

describeBrokerContract('embedded broker (aedes)', async (fleet) => {
  const revoked = new Set<string>();
  const broker = await startEmbeddedBroker({
    port: 0,
    // What the hub does: look the device record up, refuse revoked ones, check the $7$ hash.
    authenticate: async (username, password) => {
      if (username === fleet.hub.username) {
        return (await verifyDeviceSecret(password, fleet.hub.secretHash))
          ? { kind: 'hub' }
          : undefined;
      }
      const hash = fleet.hashes.get(username);
      if (!hash || revoked.has(username)) return undefined;
      const ok = await verifyDeviceSecret(password, hash);
      return ok ? ({ kind: 'device', deviceId: username } satisfies BrokerPrincipal) : undefined;
    },
  });
  return {
    url: broker.url,
    deniedSubscribe: 'refused-in-suback',
    deniedPublish: 'disconnect',
    async revoke(id) {
      revoked.add(id);
      await broker.disconnectDevice(id);
    },
    close: () => broker.close(),
  };
});
