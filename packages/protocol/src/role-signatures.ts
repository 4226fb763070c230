/**
 * Which keyring key may sign what, and verification of documents signed by a role: bundle
 * manifests by a release key, desired state by a deploy key.
 */
import type { KeyObject } from 'node:crypto';
import { canonicalBytes } from './canonical-json.js';
import { ProtocolError } from './errors.js';
import { loadPublicKey } from './keys.js';
import type { KeyRole, Keyring, SignedKeyring } from './keyring-schema.js';
import { MAX_MANIFEST_BYTES } from './manifest.js';
import { decodeJson, parseJson } from './parse-json.js';
import { SignatureSchema, verifyBytes } from './signing.js';
import type { Signature } from './signing.js';

/**
 * [P-KR-4] The public key that may sign for `role`, or throws `EF_PROTO_KEY_UNKNOWN`,
 * `EF_PROTO_KEY_ROLE` or `EF_PROTO_KEY_EXPIRED`.
 *
 * @example
 * const key = resolveSigningKey(keyring, signature.keyId, 'release', new Date());
 */
export function resolveSigningKey(
  keyring: Keyring | SignedKeyring,
  keyId: string,
  role: KeyRole,
  now: Date = new Date(),
): KeyObject {
  const doc = 'signed' in keyring ? keyring.signed : keyring;
  if (doc.root.keys.some((k) => k.keyId === keyId)) {
    throw new ProtocolError(
      'EF_PROTO_KEY_ROLE',
      `key ${keyId} is a root key: it signs keyrings only, not ${role} documents`,
      { keyId, role, keyRole: 'root' },
    );
  }
  const entry = doc.keys.find((k) => k.keyId === keyId);
  if (!entry) {
    throw new ProtocolError(
      'EF_PROTO_KEY_UNKNOWN',
      `key ${keyId} is not in keyring version ${doc.version}`,
      { keyId, keyringVersion: doc.version },
    );
  }
  if (entry.role !== role) {
    throw new ProtocolError(
      'EF_PROTO_KEY_ROLE',
      `key ${keyId} has role ${entry.role} and may not sign ${role} documents`,
      { keyId, role, keyRole: entry.role },
    );
  }
  // [P-KR-4] a key is valid strictly before its expiry instant.
  if (now.getTime() >= Date.parse(entry.expires)) {
    throw new ProtocolError('EF_PROTO_KEY_EXPIRED', `key ${keyId} expired at ${entry.expires}`, {
      keyId,
      expires: entry.expires,
    });
  }
  return loadPublicKey(entry.publicKey);
}

/**
 * [P-SG-4] Verifies that every signature over `doc` is by a `role` key of the keyring and
 * verifies. A single bad signature rejects the document: none is ignored.
 *
 * @example
 * verifyRoleSignatures(rawDesired, envelope.signatures, keyring, 'deploy', now);
 */
export function verifyRoleSignatures(
  doc: unknown,
  signatures: ReadonlyArray<Signature>,
  keyring: Keyring | SignedKeyring,
  role: KeyRole,
  now: Date = new Date(),
): void {
  if (signatures.length === 0) {
    throw new ProtocolError('EF_PROTO_SIGNATURE_INVALID', `${role} document has no signature`);
  }
  const bytes = canonicalBytes(doc);
  for (const signature of signatures) {
    verifyBytes(bytes, signature, resolveSigningKey(keyring, signature.keyId, role, now));
  }
}

/**
 * [P-BD-2] Verifies a bundle's `signature.json` against its `manifest.json`, both as received
 * (bytes, text or parsed JSON): the signer must be a release key of the trusted keyring.
 * The signature covers the canonical form of the manifest as sent, so unknown fields that a
 * schema would strip are still covered.
 *
 * @example
 * verifyBundleSignature(manifestBytes, signatureBytes, trustedKeyring, new Date());
 */
export function verifyBundleSignature(
  manifest: unknown,
  signature: unknown,
  keyring: Keyring | SignedKeyring,
  now: Date = new Date(),
): void {
  const raw = decodeJson(manifest, 'manifest', { maxBytes: MAX_MANIFEST_BYTES });
  const sig = parseJson(signature, SignatureSchema, 'signature.json');
  verifyRoleSignatures(raw, [sig], keyring, 'release', now);
}
