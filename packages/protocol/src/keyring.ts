/**
 * Creating and rotating keyrings: the operator's side. The device's side is in
 * keyring-verify.ts and role-signatures.ts.
 */
import { createPublicKey } from 'node:crypto';
import { ProtocolError } from './errors.js';
import { keyIdOf, loadPrivateKey, publicKeyToBase64 } from './keys.js';
import type { PrivateKeyInput, PublicKeyInput } from './keys.js';
import { KeyringSchema } from './keyring-schema.js';
import type { KeyRole, Keyring, SignedKeyring } from './keyring-schema.js';
import { validate } from './parse-json.js';
import { signEnvelope } from './signing.js';
import { verifyKeyring } from './keyring-verify.js';

/** Options of {@link createKeyring}. */
export type CreateKeyringOptions = {
  /** The root private key(s); their public halves become the keyring's root. */
  rootPrivateKey: PrivateKeyInput | PrivateKeyInput[];
  release: PublicKeyInput[];
  deploy: PublicKeyInput[];
  /** When the keyring itself expires. */
  expires: Date;
  /** When the release/deploy keys expire (default: `expires`). */
  keyExpires?: Date;
  version?: number;
  now?: Date;
};

function roleKeys(keys: PublicKeyInput[], role: KeyRole, expires: Date): Keyring['keys'] {
  return keys.map((k) => ({
    keyId: keyIdOf(k),
    role,
    publicKey: publicKeyToBase64(k),
    expires: expires.toISOString(),
  }));
}

function rootEntries(keys: PublicKeyInput[]): Keyring['root']['keys'] {
  return keys.map((k) => ({ keyId: keyIdOf(k), publicKey: publicKeyToBase64(k) }));
}

function checkDate(value: unknown, name: string): Date {
  if (!(value instanceof Date) || !Number.isFinite(value.getTime())) {
    throw new ProtocolError('EF_PROTO_ARGUMENT', `${name} must be a valid Date`);
  }
  return value;
}

/**
 * Creates the first keyring, signed by the root key(s).
 *
 * @example
 * const keyring = createKeyring({ rootPrivateKey, release: [releasePub], deploy: [deployPub],
 *   expires: new Date(Date.now() + parseDuration('365d')) });
 */
export function createKeyring(options: CreateKeyringOptions): SignedKeyring {
  const now = checkDate(options.now ?? new Date(), 'now');
  const expires = checkDate(options.expires, 'expires');
  const keyExpires = checkDate(options.keyExpires ?? expires, 'keyExpires');
  const rootPrivate = (
    Array.isArray(options.rootPrivateKey) ? options.rootPrivateKey : [options.rootPrivateKey]
  ).map((k) => loadPrivateKey(k));
  const doc = validate(
    {
      type: 'edgefleet-keyring',
      version: options.version ?? 1,
      issuedAt: now.toISOString(),
      expires: expires.toISOString(),
      root: { keys: rootEntries(rootPrivate.map((k) => createPublicKey(k))) },
      keys: [
        ...roleKeys(options.release, 'release', keyExpires),
        ...roleKeys(options.deploy, 'deploy', keyExpires),
      ],
    },
    KeyringSchema,
    'keyring',
  );
  return signEnvelope(doc, rootPrivate);
}

/** Options of {@link rotateKeyring}. Omitted key lists are carried over unchanged. */
export type RotateKeyringOptions = {
  /** Private keys that sign: a key of the previous root, and of the new root when it changes. */
  signers: PrivateKeyInput[];
  /** New root public keys (default: unchanged). */
  root?: PublicKeyInput[];
  release?: PublicKeyInput[];
  deploy?: PublicKeyInput[];
  expires: Date;
  keyExpires?: Date;
  now?: Date;
};

/**
 * [P-KR-5] The next keyring version: rotate release/deploy keys (signed by the root) or the root
 * itself (signed by the old and the new root).
 *
 * @example
 * const v2 = rotateKeyring(v1, { signers: [rootA, rootB], root: [rootBPub], expires });
 */
export function rotateKeyring(
  previous: SignedKeyring,
  options: RotateKeyringOptions,
): SignedKeyring {
  const prev = validate(previous.signed, KeyringSchema, 'previous keyring');
  const now = checkDate(options.now ?? new Date(), 'now');
  const expires = checkDate(options.expires, 'expires');
  const keyExpires = checkDate(options.keyExpires ?? expires, 'keyExpires');
  const root = options.root ? rootEntries(options.root) : prev.root.keys;
  const carried = (role: KeyRole) => prev.keys.filter((k) => k.role === role);
  const doc = validate(
    {
      type: 'edgefleet-keyring',
      version: prev.version + 1,
      issuedAt: now.toISOString(),
      expires: expires.toISOString(),
      root: { keys: root },
      keys: [
        ...(options.release
          ? roleKeys(options.release, 'release', keyExpires)
          : carried('release')),
        ...(options.deploy ? roleKeys(options.deploy, 'deploy', keyExpires) : carried('deploy')),
      ],
    },
    KeyringSchema,
    'keyring',
  );
  const signed = signEnvelope(doc, options.signers);
  // Verify what we produce, so a wrong signer set fails here and not on ten thousand devices.
  try {
    return verifyKeyring(signed, { trusted: previous, now });
  } catch (err) {
    if (err instanceof ProtocolError && err.code !== 'EF_PROTO_ARGUMENT') {
      throw new ProtocolError(
        'EF_PROTO_ARGUMENT',
        `rotateKeyring: the rotated keyring would not verify: ${err.message}`,
        { cause: err.code },
        { cause: err },
      );
    }
    throw err;
  }
}
