/**
 * Who may connect: devices by their own id and secret (refused once revoked), and on the
 * embedded broker the hub itself as `_hub` with a random per-process secret (a name that can
 * never be a device id, [P-TP-2]).
 */
import { randomBytes, timingSafeEqual, createHash } from 'node:crypto';
import { isDeviceId } from '@edgefleet/protocol';
import type { BrokerAuthenticate } from '../broker/embedded-broker.js';
import { verifyDeviceSecret } from '../broker/device-secrets.js';
import type { HubStore } from '../storage/hub-store.js';

/** The embedded broker username of the hub's own client. */
export const HUB_BROKER_USERNAME = '_hub';

/**
 * True when `secret` is the current secret of the enrolled, unrevoked device `id`. A malformed
 * stored hash counts as a refusal, never as an exception.
 *
 * @example
 * if (!(await authenticateDevice(store, 'press-07', secret))) refuse();
 */
export async function authenticateDevice(
  store: HubStore,
  id: string,
  secret: string,
): Promise<boolean> {
  if (!isDeviceId(id) || typeof secret !== 'string' || secret.length === 0) return false;
  const device = await store.getDevice(id);
  if (device === undefined || device.revokedAt !== null) return false;
  try {
    return await verifyDeviceSecret(secret, device.secretHash);
  } catch {
    return false;
  }
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/**
 * The embedded broker's authenticate hook and the hub client's credentials.
 *
 * @example
 * const auth = createBrokerAuth(store);
 * await startEmbeddedBroker({ port, authenticate: auth.authenticate });
 * connect(url, { username: auth.hubUsername, password: auth.hubPassword });
 */
export function createBrokerAuth(store: HubStore): {
  authenticate: BrokerAuthenticate;
  hubUsername: string;
  hubPassword: string;
} {
  const hubPassword = randomBytes(32).toString('base64url');
  const expected = digest(hubPassword);
  return {
    hubUsername: HUB_BROKER_USERNAME,
    hubPassword,
    authenticate: async (username, password) => {
      if (username === HUB_BROKER_USERNAME) {
        return timingSafeEqual(digest(password), expected) ? { kind: 'hub' } : undefined;
      }
      return (await authenticateDevice(store, username, password))
        ? { kind: 'device', deviceId: username }
        : undefined;
    },
  };
}
