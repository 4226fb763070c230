/**
 * What a bundle's signature is checked against: a trusted keyring (devices, the hub) or one
 * release public key (`edgefleet bundle verify --pub`), and the check itself.
 */
import {
  EdgefleetError,
  keyIdOf,
  loadPublicKey,
  parseSignature,
  publicKeyToBase64,
  verifyBundleSignature,
} from '@edgefleet/protocol';
import type { Keyring, PublicKeyInput, Signature, SignedKeyring } from '@edgefleet/protocol';
import { BundleError } from './bundle-errors.js';

/** The trust anchor of a bundle check: exactly one of `keyring` or `publicKey`. */
export interface BundleTrust {
  /**
   * A keyring the caller already trusts (verified from the root with `verifyKeyring` or
   * `verifyKeyringChain`); the signer must be one of its unexpired release keys ([P-BD-2]).
   */
  readonly keyring?: SignedKeyring | Keyring;
  /** A release public key trusted directly (no keyring, so no expiry applies). */
  readonly publicKey?: PublicKeyInput;
  /** The instant key expiry is judged at. Default: now. */
  readonly now?: Date;
}

/** A {@link BundleTrust} checked once, before any bundle byte is read. */
export interface ResolvedTrust {
  readonly keyring: SignedKeyring | Keyring;
  /** Set when the trust is a single public key, for a clearer "wrong key" message. */
  readonly publicKeyId: string | undefined;
  readonly now: Date;
}

// A bare public key has no expiry; this instant stands for "never" in the one-key keyring.
const NEVER = '9999-12-31T23:59:59.999Z';

/**
 * Checks that exactly one trust anchor is given (`EF_BUNDLE_TRUST`) and turns a bare public
 * key into a one-key keyring, so both paths go through the protocol's own
 * `verifyBundleSignature` (same size cap, JSON decoding and canonical form, [P-SG-3]).
 *
 * @example
 * ```ts
 * const trust = resolveTrust({ publicKey: releasePublicKeyPem });
 * ```
 */
export function resolveTrust(trust: BundleTrust): ResolvedTrust {
  const hasKeyring = trust.keyring !== undefined;
  const hasKey = trust.publicKey !== undefined;
  if (hasKeyring === hasKey) {
    throw new BundleError(
      'EF_BUNDLE_TRUST',
      hasKeyring
        ? 'give either a trusted keyring or a release public key, not both'
        : 'a bundle cannot be verified without a trusted keyring or a release public key',
    );
  }
  const now = trust.now ?? new Date();
  if (!(now instanceof Date) || !Number.isFinite(now.getTime())) {
    throw new BundleError('EF_BUNDLE_TRUST', 'now must be a valid Date');
  }
  if (trust.keyring !== undefined) return { keyring: trust.keyring, publicKeyId: undefined, now };
  const key = loadPublicKey(trust.publicKey as PublicKeyInput);
  const keyId = keyIdOf(key);
  const keyring: Keyring = {
    type: 'edgefleet-keyring',
    version: 1,
    issuedAt: new Date(0).toISOString(),
    expires: NEVER,
    root: { keys: [] },
    keys: [{ keyId, role: 'release', publicKey: publicKeyToBase64(key), expires: NEVER }],
  };
  return { keyring, publicKeyId: keyId, now };
}

function claimedKeyId(signatureBytes: Uint8Array): string | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(signatureBytes).toString('utf8'));
    const keyId = (value as { keyId?: unknown } | null)?.keyId;
    return typeof keyId === 'string' ? keyId : undefined;
  } catch {
    return undefined;
  }
}

/**
 * [P-BD-2] Verifies `signature.json` over `manifest.json` exactly as stored (the protocol
 * canonicalizes the parsed bytes, never a re-serialized or schema-stripped value, [P-SG-3]).
 * Any failure, including a manifest that is not JSON and so cannot have been signed, is
 * `EF_BUNDLE_SIGNATURE` with the protocol error as cause and its code in `details.reason`.
 *
 * @example
 * ```ts
 * const signature = verifyManifestSignature(manifestBytes, signatureBytes, resolveTrust({ keyring }));
 * ```
 */
export function verifyManifestSignature(
  manifestBytes: Uint8Array,
  signatureBytes: Uint8Array,
  trust: ResolvedTrust,
): Signature {
  const claimed = claimedKeyId(signatureBytes);
  if (trust.publicKeyId !== undefined && claimed !== undefined && claimed !== trust.publicKeyId) {
    throw new BundleError(
      'EF_BUNDLE_SIGNATURE',
      `bundle is signed by key ${claimed}, not by the given public key ${trust.publicKeyId}`,
      { reason: 'EF_PROTO_KEY_UNKNOWN', keyId: claimed, expectedKeyId: trust.publicKeyId },
    );
  }
  try {
    verifyBundleSignature(manifestBytes, signatureBytes, trust.keyring, trust.now);
  } catch (err) {
    const reason = err instanceof EdgefleetError ? err.code : 'unknown';
    const message = err instanceof Error ? err.message : String(err);
    throw new BundleError(
      'EF_BUNDLE_SIGNATURE',
      `bundle signature does not check out: ${message}`,
      claimed === undefined ? { reason } : { reason, keyId: claimed },
      { cause: err },
    );
  }
  // verifyBundleSignature accepted these bytes with the same schema, so this cannot fail.
  return parseSignature(signatureBytes);
}
