/**
 * The hub's keys at start: given (`--keyring` + `--deploy-key`), found in `<data>/keys/`, or,
 * on the first start without them, generated there with the file names `keys generate` and
 * `keys keyring` use (`root.key`, `root.pub`, `release.key`, `release.pub`, `deploy.key`,
 * `deploy.pub`, `keyring.json`).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createKeyring, generateKeyPair, keyIdOf, parseDuration } from '@edgefleet/protocol';
import type { Logger } from 'pino';
import { checkHubTrust, parseDeployKey, parseKeyringText } from './check-hub-trust.js';
import type { HubTrust } from './check-hub-trust.js';
import { KeyError } from './key-errors.js';
import { exists, readKeyText, writeFileAtomic } from './key-file-io.js';

/** Lifetime of a generated keyring and its keys. */
export const GENERATED_KEYRING_LIFETIME = '365d';
const EXPIRY_WARNING_MS = parseDuration('30d');

/** Options of {@link loadHubKeys}. */
export interface HubKeysOptions {
  dataDir: string;
  keyringPath?: string | undefined;
  deployKeyPath?: string | undefined;
  logger: Logger;
  now?: Date;
}

/** The hub's trust plus where it came from. */
export interface LoadedHubKeys extends HubTrust {
  /** `<data>/keys` when the keys were generated on this start. */
  keysDir?: string;
  source: 'options' | 'data-dir' | 'generated';
}

async function loadPair(keyringPath: string, deployKeyPath: string, now: Date): Promise<HubTrust> {
  const keyring = parseKeyringText(await readKeyText(keyringPath, 'keyring'), keyringPath);
  const deployKey = parseDeployKey(await readKeyText(deployKeyPath, 'deploy key'), deployKeyPath);
  return checkHubTrust(keyring, deployKey, now);
}

/** Writes the three key pairs and the keyring into a fresh directory, then renames it into place. */
async function generate(keysDir: string, dataDir: string, now: Date): Promise<void> {
  const pairs = { root: generateKeyPair(), release: generateKeyPair(), deploy: generateKeyPair() };
  const keyring = createKeyring({
    rootPrivateKey: pairs.root.privateKeyPem,
    release: [pairs.release.publicKeyPem],
    deploy: [pairs.deploy.publicKeyPem],
    expires: new Date(now.getTime() + parseDuration(GENERATED_KEYRING_LIFETIME)),
    now,
  });
  // Built beside the final directory and renamed, so a crash never leaves half a key set.
  const staging = join(dataDir, `.keys-${randomBytes(6).toString('hex')}`);
  try {
    await mkdir(staging, { mode: 0o700 });
    for (const [role, pair] of Object.entries(pairs)) {
      await writeFileAtomic(join(staging, `${role}.pub`), pair.publicKeyPem, 0o644);
      await writeFileAtomic(join(staging, `${role}.key`), pair.privateKeyPem, 0o600);
    }
    await writeFileAtomic(
      join(staging, 'keyring.json'),
      `${JSON.stringify(keyring, null, 2)}\n`,
      0o644,
    );
    await rename(staging, keysDir);
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    if (err instanceof KeyError) throw err;
    const detail = err instanceof Error ? err.message : String(err);
    throw new KeyError(
      'EF_HUB_KEYS_WRITE',
      `cannot create ${keysDir}: ${detail}`,
      { keysDir },
      {
        cause: err,
      },
    );
  }
}

function warnIfExpiring(trust: HubTrust, logger: Logger, now: Date): void {
  const left = Date.parse(trust.keyring.signed.expires) - now.getTime();
  if (left < EXPIRY_WARNING_MS) {
    logger.warn(
      { expires: trust.keyring.signed.expires, keyringVersion: trust.keyring.signed.version },
      'the keyring expires within 30 days: rotate it with the root key (edgefleet keys rotate)',
    );
  }
}

/**
 * Loads or creates the hub's keyring and deploy key. Throws `EF_HUB_KEYS_OPTIONS` when only
 * one of `keyringPath`/`deployKeyPath` is given, `EF_HUB_KEYS_INCOMPLETE` for a partial
 * `<data>/keys`, `EF_HUB_KEYS_READ`, `EF_HUB_KEYS_KEYRING` or `EF_HUB_KEYS_DEPLOY_ROLE`.
 *
 * @example
 * const keys = await loadHubKeys({ dataDir: '/var/lib/edgefleet', logger });
 * signDesiredState(doc, keys.deployKey, keys.keyring);
 */
export async function loadHubKeys(options: HubKeysOptions): Promise<LoadedHubKeys> {
  const now = options.now ?? new Date();
  const { keyringPath, deployKeyPath, logger } = options;
  if ((keyringPath === undefined) !== (deployKeyPath === undefined)) {
    throw new KeyError(
      'EF_HUB_KEYS_OPTIONS',
      'give both a keyring and a deploy key (--keyring and --deploy-key), or neither',
    );
  }
  if (keyringPath !== undefined && deployKeyPath !== undefined) {
    const trust = await loadPair(keyringPath, deployKeyPath, now);
    warnIfExpiring(trust, logger, now);
    logger.info(
      { keyringPath, deployKeyId: trust.deployKeyId },
      'using the given keyring and deploy key',
    );
    return { ...trust, source: 'options' };
  }
  const keysDir = join(options.dataDir, 'keys');
  const keyringFile = join(keysDir, 'keyring.json');
  const deployFile = join(keysDir, 'deploy.key');
  if (await exists(keysDir)) {
    const missing = [];
    if (!(await exists(keyringFile))) missing.push('keyring.json');
    if (!(await exists(deployFile))) missing.push('deploy.key');
    if (missing.length > 0) {
      throw new KeyError(
        'EF_HUB_KEYS_INCOMPLETE',
        `${keysDir} lacks ${missing.join(' and ')}: restore them, or start with --keyring and --deploy-key`,
        { keysDir, missing },
      );
    }
    const trust = await loadPair(keyringFile, deployFile, now);
    warnIfExpiring(trust, logger, now);
    return { ...trust, source: 'data-dir' };
  }
  await generate(keysDir, options.dataDir, now);
  const trust = await loadPair(keyringFile, deployFile, now);
  logger.warn(
    {
      keysDir,
      rootKey: join(keysDir, 'root.key'),
      releaseKey: join(keysDir, 'release.key'),
      rootKeyId: keyIdOf(trust.rootPublicKeys[0] ?? ''),
    },
    `created root, release and deploy keys and keyring.json in ${keysDir}: move root.key offline (it only signs keyrings; devices trust its public key), give release.key to whoever compiles bundles; the hub keeps deploy.key`,
  );
  return { ...trust, keysDir, source: 'generated' };
}
