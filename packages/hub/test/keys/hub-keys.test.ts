import { mkdtempSync, readdirSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createKeyring,
  generateKeyPair,
  keyIdOf,
  publicKeyToBase64,
  signDesiredState,
  verifyDesiredState,
} from '@edgefleet/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { loadHubKeys } from '../../src/keys/hub-keys.js';
import { loadOperatorToken } from '../../src/keys/operator-token.js';
import { createLogger } from '../../src/logging/create-logger.js';
import { makeTrust } from '../../../../test/helpers/trust-fixture.js';
import { expectCode } from '../storage/store-contract.js';

const logger = createLogger(false);
const KEY_FILES = [
  'deploy.key',
  'deploy.pub',
  'keyring.json',
  'release.key',
  'release.pub',
  'root.key',
  'root.pub',
];

describe('hub keys', () => {
  const dirs: string[] = [];
  const temp = () => {
    const dir = mkdtempSync(join(tmpdir(), 'ef-hub-keys-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('creates root, release and deploy keys and a keyring on first start, then reuses them', async () => {
    const data = temp();
    const first = await loadHubKeys({ dataDir: data, logger });
    expect(first.source).toBe('generated');
    expect(first.keysDir).toBe(join(data, 'keys'));
    expect(readdirSync(join(data, 'keys')).sort()).toEqual(KEY_FILES);
    for (const role of ['root', 'release', 'deploy']) {
      expect(statSync(join(data, 'keys', `${role}.key`)).mode & 0o777).toBe(0o600);
    }
    expect(readdirSync(data).filter((n) => n.startsWith('.keys-'))).toEqual([]);

    // What the hub signs verifies on a device that knows only the root public key.
    const now = new Date();
    const envelope = signDesiredState(
      {
        type: 'edgefleet-desired',
        device: 'd1',
        version: 1,
        issuedAt: now.toISOString(),
        expires: new Date(now.getTime() + 60_000).toISOString(),
        models: [],
        allowDowngrade: false,
      },
      first.deployKey,
      first.keyring,
    );
    const checked = verifyDesiredState(JSON.stringify(envelope), {
      deviceId: 'd1',
      rootPublicKey: first.rootPublicKeys,
    });
    expect(checked.desired.version).toBe(1);

    // The root key may be moved offline; the hub still starts with the rest.
    unlinkSync(join(data, 'keys', 'root.key'));
    const again = await loadHubKeys({ dataDir: data, logger });
    expect(again.source).toBe('data-dir');
    expect(again.keysDir).toBeUndefined();
    expect(again.deployKeyId).toBe(first.deployKeyId);
  });

  it('refuses a partial keys directory', async () => {
    const data = temp();
    await loadHubKeys({ dataDir: data, logger });
    unlinkSync(join(data, 'keys', 'deploy.key'));
    await expectCode(loadHubKeys({ dataDir: data, logger }), 'EF_HUB_KEYS_INCOMPLETE');
  });

  it('uses a given keyring and deploy key, and checks the key is a deploy key of it', async () => {
    const data = temp();
    const trust = makeTrust();
    await trust.writeTo(join(data, 'given'));
    const keyringPath = join(data, 'given', 'keyring.json');
    const loaded = await loadHubKeys({
      dataDir: data,
      logger,
      keyringPath,
      deployKeyPath: join(data, 'given', 'deploy.key'),
    });
    expect(loaded.source).toBe('options');
    expect(loaded.deployKeyId).toBe(keyIdOf(trust.deploy.publicKey));
    expect(loaded.rootPublicKeys).toEqual([trust.rootPublicKeyBase64]);
    expect(readdirSync(data)).toEqual(['given']);

    const code = 'EF_HUB_KEYS_DEPLOY_ROLE';
    for (const wrong of ['release.key', 'root.key']) {
      await expectCode(
        loadHubKeys({
          dataDir: data,
          logger,
          keyringPath,
          deployKeyPath: join(data, 'given', wrong),
        }),
        code,
      );
    }
    const stranger = join(data, 'stranger.key');
    writeFileSync(stranger, generateKeyPair().privateKeyPem);
    await expectCode(
      loadHubKeys({ dataDir: data, logger, keyringPath, deployKeyPath: stranger }),
      code,
    );
    await expectCode(loadHubKeys({ dataDir: data, logger, keyringPath }), 'EF_HUB_KEYS_OPTIONS');
    await expectCode(
      loadHubKeys({ dataDir: data, logger, keyringPath: stranger, deployKeyPath: stranger }),
      'EF_HUB_KEYS_READ',
    );
  });

  it('refuses an expired or forged keyring', async () => {
    const data = temp();
    const root = generateKeyPair();
    const deploy = generateKeyPair();
    const past = new Date(Date.now() - 10 * 86_400_000);
    const expired = createKeyring({
      rootPrivateKey: root.privateKeyPem,
      release: [],
      deploy: [deploy.publicKeyPem],
      expires: new Date(Date.now() - 86_400_000),
      now: past,
    });
    const keyringPath = join(data, 'keyring.json');
    const deployKeyPath = join(data, 'deploy.key');
    writeFileSync(deployKeyPath, deploy.privateKeyPem);
    writeFileSync(keyringPath, JSON.stringify(expired));
    await expectCode(
      loadHubKeys({ dataDir: data, logger, keyringPath, deployKeyPath }),
      'EF_HUB_KEYS_KEYRING',
    );
    const valid = createKeyring({
      rootPrivateKey: root.privateKeyPem,
      release: [],
      deploy: [deploy.publicKeyPem],
      expires: new Date(Date.now() + 86_400_000),
    });
    const other = generateKeyPair();
    const forged = {
      ...valid,
      signed: {
        ...valid.signed,
        root: {
          keys: [
            {
              keyId: keyIdOf(other.publicKeyPem),
              publicKey: publicKeyToBase64(other.publicKeyPem),
            },
          ],
        },
      },
    };
    writeFileSync(keyringPath, JSON.stringify(forged));
    await expectCode(
      loadHubKeys({ dataDir: data, logger, keyringPath, deployKeyPath }),
      'EF_HUB_KEYS_KEYRING',
    );
  });
});

describe('operator token', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('creates a token once, keeps only its hash, and verifies it', async () => {
    const data = mkdtempSync(join(tmpdir(), 'ef-hub-token-'));
    dirs.push(data);
    const first = await loadOperatorToken(data);
    expect(first.token).toMatch(/^eft_[A-Za-z0-9_-]{43}$/);
    expect(first.tokenPath).toBe(join(data, 'operator.token'));
    expect(statSync(first.tokenPath).mode & 0o777).toBe(0o600);
    const token = first.token ?? '';
    expect(first.verify(token)).toBe(true);
    expect(first.verify(`${token}\n`)).toBe(true);
    expect(first.verify(`${token}x`)).toBe(false);
    expect(first.verify('')).toBe(false);
    expect(first.verify(42 as unknown as string)).toBe(false);

    const second = await loadOperatorToken(data);
    expect(second.token).toBeUndefined();
    expect(second.verify(token)).toBe(true);

    writeFileSync(join(data, 'operator-token.hash'), 'garbage');
    await expectCode(loadOperatorToken(data), 'EF_HUB_KEYS_READ');
  });
});
