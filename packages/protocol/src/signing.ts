/**
 * Detached Ed25519 signatures over canonical JSON, and TUF-style signed envelopes
 * `{ signed, signatures }` for keyrings and desired state.
 */
import { createPublicKey, sign, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { z } from 'zod';
import { canonicalBytes } from './canonical-json.js';
import { decodeBase64Strict, encodeBase64 } from './encoding.js';
import { ProtocolError } from './errors.js';
import { keyIdOf, loadPrivateKey, loadPublicKey } from './keys.js';
import type { PrivateKeyInput, PublicKeyInput } from './keys.js';
import { KeyIdSchema, base64BytesSchema } from './schema-primitives.js';

/** [P-SG-1] A detached signature: who (key id), how (ed25519), what (base64 of 64 bytes). */
export const SignatureSchema = z.strictObject({
  keyId: KeyIdSchema,
  alg: z.literal('ed25519'),
  sig: base64BytesSchema(64),
});
export type Signature = z.output<typeof SignatureSchema>;

/**
 * [P-BD-1] `signature.json` of a bundle: a {@link Signature} over the canonical manifest bytes.
 */
export const BundleSignatureSchema = SignatureSchema;
export type BundleSignature = Signature;

/** A signed envelope: the document and one or more signatures over its canonical bytes. */
export type Signed<T> = { signed: T; signatures: Signature[] };

/** [P-SG-4] The schema of `Signed<T>`: 1..8 signatures, no key id twice. */
export function signedEnvelopeSchema<S extends z.ZodType>(inner: S) {
  return z.strictObject({
    signed: inner,
    signatures: z
      .array(SignatureSchema)
      .min(1)
      .max(8)
      .refine(
        (sigs) => new Set(sigs.map((s) => s.keyId)).size === sigs.length,
        'a key id signs at most once',
      ),
  });
}

/**
 * Signs raw bytes with an Ed25519 private key.
 *
 * @example
 * const sig = signBytes(Buffer.from('hello'), privateKeyPem);
 */
export function signBytes(bytes: Uint8Array, privateKey: PrivateKeyInput): Signature {
  const key = loadPrivateKey(privateKey);
  return {
    keyId: keyIdOf(createPublicKey(key)),
    alg: 'ed25519',
    sig: encodeBase64(sign(null, bytes, key)),
  };
}

/**
 * Verifies a detached signature over raw bytes. Throws `EF_PROTO_SIGNATURE_INVALID` when the
 * key id does not match the key or the signature does not verify.
 *
 * @example
 * verifyBytes(bytes, sig, publicKeyPem);
 */
export function verifyBytes(
  bytes: Uint8Array,
  signature: Signature,
  publicKey: PublicKeyInput,
): void {
  const key: KeyObject = loadPublicKey(publicKey);
  const keyId = keyIdOf(key);
  if (signature.keyId !== keyId) {
    throw new ProtocolError(
      'EF_PROTO_SIGNATURE_INVALID',
      `signature names key ${signature.keyId} but was checked against key ${keyId}`,
      { keyId: signature.keyId, expectedKeyId: keyId },
    );
  }
  const sig = signature.alg === 'ed25519' ? decodeBase64Strict(signature.sig) : undefined;
  let ok: boolean;
  try {
    ok = sig !== undefined && sig.length === 64 && verify(null, bytes, key, sig);
  } catch {
    ok = false;
  }
  if (!ok) {
    throw new ProtocolError(
      'EF_PROTO_SIGNATURE_INVALID',
      `signature by key ${signature.keyId} does not verify`,
      { keyId: signature.keyId },
    );
  }
}

/**
 * [P-SG-3] Signs the canonical bytes (RFC 8785) of a JSON document.
 *
 * @example
 * const signature = signDocument(manifest, releaseKeyPem); // write as signature.json
 */
export function signDocument(doc: unknown, privateKey: PrivateKeyInput): Signature {
  return signBytes(canonicalBytes(doc), privateKey);
}

/**
 * Verifies a detached signature over the canonical bytes of `doc`. Throws
 * `EF_PROTO_SIGNATURE_INVALID` (or `EF_PROTO_CANONICAL` when `doc` is not JSON data).
 *
 * @example
 * verifyDocumentSignature(JSON.parse(manifestText), signature, releasePublicKey);
 */
export function verifyDocumentSignature(
  doc: unknown,
  signature: Signature,
  publicKey: PublicKeyInput,
): void {
  verifyBytes(canonicalBytes(doc), signature, publicKey);
}

/**
 * Wraps `doc` in a signed envelope, one signature per key (order kept).
 *
 * @example
 * const envelope = signEnvelope(keyring, [oldRootKey, newRootKey]);
 */
export function signEnvelope<T>(doc: T, privateKeys: ReadonlyArray<PrivateKeyInput>): Signed<T> {
  if (privateKeys.length === 0) {
    throw new ProtocolError('EF_PROTO_ARGUMENT', 'signEnvelope needs at least one private key');
  }
  const bytes = canonicalBytes(doc);
  const signatures = privateKeys.map((k) => signBytes(bytes, k));
  if (new Set(signatures.map((s) => s.keyId)).size !== signatures.length) {
    throw new ProtocolError('EF_PROTO_ARGUMENT', 'signEnvelope was given the same key twice');
  }
  return { signed: doc, signatures };
}
