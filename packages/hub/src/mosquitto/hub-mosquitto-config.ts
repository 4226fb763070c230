/**
 * External Mosquitto mode from the hub's data directory: the hub's own broker account (a secret
 * kept in `<data>/broker-hub.secret`, mode 0600, so `hub start --broker` and
 * `hub mosquitto-config` agree without the operator copying passwords), the generated files, and
 * the revoke hook that regenerates them and reloads Mosquitto (a reload is what disconnects a
 * revoked device, docs/mosquitto.md).
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hashDeviceSecret } from '../broker/device-secrets.js';
import { HUB_BROKER_USERNAME } from '../hub/device-auth.js';
import type { HubStore } from '../storage/hub-store.js';
import { SqliteHubStore } from '../storage/sqlite-hub-store.js';
import { writeMosquittoConfig } from './mosquitto-config.js';
import type { MosquittoConfigResult } from './mosquitto-config.js';
import { MosquittoError } from './mosquitto-errors.js';
import { reloadMosquitto } from './mosquitto-reload.js';
import { mosquittoDevicesFromStore } from './mosquitto-store.js';

/** File in the data directory holding the hub's broker secret. */
export const HUB_BROKER_SECRET_FILE = 'broker-hub.secret';

/**
 * Returns the hub's broker secret, creating it (mode 0600) on first use.
 *
 * @example
 * const password = await loadHubBrokerSecret('/var/lib/edgefleet/hub');
 */
export async function loadHubBrokerSecret(dataDir: string): Promise<string> {
  const path = join(dataDir, HUB_BROKER_SECRET_FILE);
  try {
    const text = (await readFile(path, 'utf8')).trim();
    if (text.length >= 32) return text;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new MosquittoError(
        'EF_HUB_MOSQUITTO_CONFIG',
        `cannot read ${path}`,
        { path },
        { cause: err },
      );
    }
  }
  const secret = randomBytes(32).toString('base64url');
  try {
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    await writeFile(path, `${secret}\n`, { mode: 0o600 });
    await chmod(path, 0o600);
  } catch (err) {
    throw new MosquittoError(
      'EF_HUB_MOSQUITTO_WRITE',
      `cannot write ${path}`,
      { path },
      { cause: err },
    );
  }
  return secret;
}

export interface HubMosquittoConfigOptions {
  /** The hub's data directory (holds hub.db). */
  readonly dataDir: string;
  /** Where the Mosquitto files go. */
  readonly outDir: string;
  readonly port?: number;
  readonly host?: string;
  /** The hub's open store; when omitted, `<dataDir>/hub.db` is opened and closed. */
  readonly store?: HubStore;
}

/**
 * Writes mosquitto.conf, password_file and acl_file for the hub's enrolled devices and its own
 * account (`_hub`, full access under `ef/v1/`).
 *
 * @example
 * const { files, notes } = await writeHubMosquittoConfig({ dataDir, outDir: '/etc/mosquitto/edgefleet' });
 */
export async function writeHubMosquittoConfig(
  options: HubMosquittoConfigOptions,
): Promise<MosquittoConfigResult> {
  const store = options.store ?? SqliteHubStore.open(join(options.dataDir, 'hub.db'));
  try {
    const secret = await loadHubBrokerSecret(options.dataDir);
    return await writeMosquittoConfig({
      outDir: options.outDir,
      devices: await mosquittoDevicesFromStore(store),
      hub: { username: HUB_BROKER_USERNAME, secretHash: await hashDeviceSecret(secret) },
      ...(options.port !== undefined ? { port: options.port } : {}),
      ...(options.host !== undefined ? { host: options.host } : {}),
    });
  } finally {
    if (options.store === undefined) await store.close();
  }
}

/**
 * The hub's `onRevoke` hook for external Mosquitto: regenerate the files from the store, then
 * SIGHUP Mosquitto (pid file), which disconnects the revoked device at once.
 *
 * @example
 * startHub({ ..., onRevoke: mosquittoRevokeHook({ dataDir, outDir, pidFile, store: () => hub.store }) });
 */
export function mosquittoRevokeHook(options: {
  dataDir: string;
  outDir: string;
  pidFile: string;
  store: () => HubStore;
  port?: number;
}): (deviceId: string) => Promise<void> {
  return async () => {
    await writeHubMosquittoConfig({
      dataDir: options.dataDir,
      outDir: options.outDir,
      store: options.store(),
      ...(options.port !== undefined ? { port: options.port } : {}),
    });
    await reloadMosquitto(options.pidFile);
  };
}
