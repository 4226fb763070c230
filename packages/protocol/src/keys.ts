/**
 * Ed25519 keys through `node:crypto` only (no extra dependency). Public keys travel as canonical
 * base64 of the raw 32 bytes; private keys are stored as PKCS#8 PEM.
 */
import {
  KeyObject,
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
} from 'node:crypto';
import { decodeBase64Strict, encodeBase64 } from './encoding.js';
import { ProtocolError } from './errors.js';

// DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410): SEQUENCE, AlgorithmIdentifier
// 1.3.101.112, BIT STRING of 33 bytes. Appending the raw key gives a loadable SPKI.
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** Something that names a public key: a KeyObject, an SPKI PEM, or base64 of the raw 32 bytes. */
export type PublicKeyInput = KeyObject | string | Uint8Array;
/** Something that names a private key: a KeyObject or a PKCS#8 PEM. */
export type PrivateKeyInput = KeyObject | string;

/**
 * A fresh Ed25519 key pair as PEM strings.
 *
 * @example
 * const { privateKeyPem, publicKeyPem } = generateKeyPair();
 */
export function generateKeyPair(): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
  };
}

function invalid(message: string, cause?: unknown): ProtocolError {
  return new ProtocolError('EF_PROTO_KEY_INVALID', message, undefined, { cause });
}

/**
 * Loads an Ed25519 private key from PKCS#8 PEM (or checks a KeyObject). Throws `EF_PROTO_KEY_INVALID`.
 *
 * @example
 * const key = loadPrivateKey(readFileSync('release.key', 'utf8'));
 */
export function loadPrivateKey(input: PrivateKeyInput): KeyObject {
  let key: KeyObject;
  if (typeof input === 'string') {
    try {
      key = createPrivateKey({ key: input, format: 'pem' });
    } catch (err) {
      throw invalid('private key is not a readable PKCS#8 PEM', err);
    }
  } else if (input instanceof KeyObject) {
    key = input;
  } else {
    throw invalid('private key must be a PEM string or a KeyObject');
  }
  if (key.type !== 'private' || key.asymmetricKeyType !== 'ed25519') {
    throw invalid(
      `expected an Ed25519 private key, got ${key.type} ${key.asymmetricKeyType ?? ''}`,
    );
  }
  return key;
}

/**
 * Loads an Ed25519 public key from an SPKI PEM, base64 of the raw 32 bytes, raw bytes, or a
 * KeyObject (a private KeyObject yields its public half). Throws `EF_PROTO_KEY_INVALID`.
 *
 * @example
 * const key = loadPublicKey('MCowBQYDK2VwAyEA...'); // or a PEM, or 'base64 of 32 raw bytes'
 */
export function loadPublicKey(input: PublicKeyInput): KeyObject {
  let key: KeyObject;
  try {
    if (input instanceof KeyObject) {
      key = input.type === 'private' ? createPublicKey(input) : input;
    } else if (typeof input === 'string' && input.trimStart().startsWith('-----BEGIN')) {
      key = createPublicKey({ key: input, format: 'pem' });
    } else {
      const raw = typeof input === 'string' ? decodeBase64Strict(input) : Buffer.from(input);
      if (raw?.length !== 32) {
        throw invalid('public key must be a PEM or canonical base64 of 32 raw Ed25519 bytes');
      }
      key = createPublicKey({
        key: Buffer.concat([ED25519_SPKI_PREFIX, raw]),
        format: 'der',
        type: 'spki',
      });
    }
  } catch (err) {
    if (err instanceof ProtocolError) throw err;
    throw invalid('public key is not readable', err);
  }
  if (key.type !== 'public' || key.asymmetricKeyType !== 'ed25519') {
    throw invalid(`expected an Ed25519 public key, got ${key.type} ${key.asymmetricKeyType ?? ''}`);
  }
  return key;
}

/**
 * The raw 32-byte Ed25519 public key.
 *
 * @example
 * rawPublicKey(loadPublicKey(pem)).length; // 32
 */
export function rawPublicKey(key: PublicKeyInput): Buffer {
  const der = loadPublicKey(key).export({ format: 'der', type: 'spki' });
  return Buffer.from(der.subarray(der.length - 32));
}

/**
 * [P-SG-2] A key id: lowercase hex sha256 of the raw 32-byte public key.
 *
 * @example
 * keyIdOf(publicKeyPem); // '3f1c...' (64 hex chars)
 */
export function keyIdOf(key: PublicKeyInput): string {
  return createHash('sha256').update(rawPublicKey(key)).digest('hex');
}

/**
 * Canonical base64 of the raw 32-byte public key, the form keyrings carry.
 *
 * @example
 * publicKeyToBase64(publicKeyPem); // 44 chars ending in '='
 */
export function publicKeyToBase64(key: PublicKeyInput): string {
  return encodeBase64(rawPublicKey(key));
}
