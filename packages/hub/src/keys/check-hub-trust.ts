/**
 * Checks that a keyring and deploy key can work together: the keyring is signed by one of its
 * own root keys and unexpired, and the deploy key is one of its deploy-role keys ([P-KR-4]),
 * so devices will accept what the hub signs.
 */
import { createPublicKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import {
  EdgefleetError,
  keyIdOf,
  loadPrivateKey,
  parseKeyringEnvelope,
  resolveSigningKey,
  verifyDocumentSignature,
} from '@edgefleet/protocol';
import type { SignedKeyring } from '@edgefleet/protocol';
import { KeyError } from './key-errors.js';

/** The hub's signing identity. */
export interface HubTrust {
  keyring: SignedKeyring;
  deployKey: KeyObject;
  deployKeyId: string;
  /** base64 raw Ed25519 root public keys, what `device.json` carries. */
  rootPublicKeys: string[];
}

function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Parses keyring JSON text; `EF_HUB_KEYS_READ` when it is not a keyring envelope. */
export function parseKeyringText(text: string, path: string): SignedKeyring {
  try {
    return parseKeyringEnvelope(text);
  } catch (err) {
    throw new KeyError(
      'EF_HUB_KEYS_READ',
      `${path} is not a keyring: ${reason(err)}`,
      { path },
      {
        cause: err,
      },
    );
  }
}

/** Loads a PKCS#8 PEM deploy key; `EF_HUB_KEYS_READ` when it is not one. */
export function parseDeployKey(pem: string, path: string): KeyObject {
  try {
    return loadPrivateKey(pem);
  } catch (err) {
    throw new KeyError(
      'EF_HUB_KEYS_READ',
      `${path} is not a private key: ${reason(err)}`,
      { path },
      {
        cause: err,
      },
    );
  }
}

/**
 * A keyring is self-consistent when a signature by one of its own root keys verifies over it
 * (a root rotation also carries the old root's signature, which devices check, not the hub)
 * and it has not expired.
 */
function checkKeyring(keyring: SignedKeyring, now: Date): void {
  const roots = new Map(keyring.signed.root.keys.map((k) => [k.keyId, k.publicKey]));
  const own = keyring.signatures.filter((s) => roots.has(s.keyId));
  if (own.length === 0) {
    throw new KeyError(
      'EF_HUB_KEYS_KEYRING',
      'the keyring carries no signature by its own root key',
    );
  }
  for (const signature of own) {
    try {
      verifyDocumentSignature(keyring.signed, signature, roots.get(signature.keyId) as string);
    } catch (err) {
      throw new KeyError(
        'EF_HUB_KEYS_KEYRING',
        `the keyring does not verify: ${reason(err)}`,
        {
          keyId: signature.keyId,
        },
        { cause: err },
      );
    }
  }
  if (now.getTime() >= Date.parse(keyring.signed.expires)) {
    throw new KeyError(
      'EF_HUB_KEYS_KEYRING',
      `the keyring (version ${keyring.signed.version}) expired at ${keyring.signed.expires}; rotate it with the root key`,
      { expires: keyring.signed.expires },
    );
  }
}

/**
 * Checks the pair and returns the hub's trust. Throws `EF_HUB_KEYS_KEYRING` or
 * `EF_HUB_KEYS_DEPLOY_ROLE`.
 *
 * @example
 * const trust = checkHubTrust(keyring, loadPrivateKey(deployPem));
 */
export function checkHubTrust(
  keyring: SignedKeyring,
  deployKey: KeyObject,
  now = new Date(),
): HubTrust {
  checkKeyring(keyring, now);
  const deployKeyId = keyIdOf(createPublicKey(deployKey));
  try {
    resolveSigningKey(keyring, deployKeyId, 'deploy', now);
  } catch (err) {
    throw new KeyError(
      'EF_HUB_KEYS_DEPLOY_ROLE',
      `the deploy key ${deployKeyId} cannot sign desired state under keyring version ${keyring.signed.version}: ${reason(err)}`,
      { keyId: deployKeyId, reason: err instanceof EdgefleetError ? err.code : 'unknown' },
      { cause: err },
    );
  }
  return {
    keyring,
    deployKey,
    deployKeyId,
    rootPublicKeys: keyring.signed.root.keys.map((k) => k.publicKey),
  };
}
