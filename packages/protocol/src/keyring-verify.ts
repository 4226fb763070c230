/**
 * The device's side of TUF-lite: accept a keyring only when it chains to what the device
 * already trusts (first the provisioned root key, then the last accepted keyring).
 */
import { canonicalBytes } from './canonical-json.js';
import { ProtocolError } from './errors.js';
import { keyIdOf, loadPublicKey } from './keys.js';
import type { PublicKeyInput } from './keys.js';
import { SignedKeyringSchema } from './keyring-schema.js';
import type { SignedKeyring } from './keyring-schema.js';
import { decodeJson, validate } from './parse-json.js';
import { verifyBytes } from './signing.js';

/** What a keyring is checked against: the provisioned root key(s) or the last trusted keyring. */
export type KeyringTrust = {
  /** The device's provisioned root public key(s); used when no keyring is trusted yet. */
  trustedRootKeys?: PublicKeyInput[];
  /** The last keyring the device accepted. Takes precedence over `trustedRootKeys`. */
  trusted?: SignedKeyring;
  now?: Date;
  /** Check the candidate's expiry (default true; chain intermediates skip it, [P-KR-8]). */
  checkExpiry?: boolean;
};

type RootSet = { version: number; keys: Map<string, PublicKeyInput> };

function rootSetOf(trust: KeyringTrust): RootSet {
  if (trust.trusted) {
    const keys = new Map<string, PublicKeyInput>(
      trust.trusted.signed.root.keys.map((k) => [k.keyId, k.publicKey]),
    );
    return { version: trust.trusted.signed.version, keys };
  }
  if (!trust.trustedRootKeys || trust.trustedRootKeys.length === 0) {
    throw new ProtocolError(
      'EF_PROTO_ARGUMENT',
      'verifyKeyring needs trustedRootKeys or a trusted keyring',
    );
  }
  return { version: 0, keys: new Map(trust.trustedRootKeys.map((k) => [keyIdOf(k), k])) };
}

/**
 * Verifies a keyring against what the device trusts and returns it parsed. Rules: [P-KR-6]
 * version above the trusted one (`EF_PROTO_KEYRING_VERSION`); [P-KR-7] signed by a trusted root
 * key (`EF_PROTO_KEYRING_SIGNATURE`) and, when the root changes, by a key of the new root
 * (`EF_PROTO_KEYRING_ROOT`); every signature verifies (`EF_PROTO_SIGNATURE_INVALID`);
 * [P-KR-8] not expired (`EF_PROTO_KEYRING_EXPIRED`).
 *
 * @example
 * const keyring = verifyKeyring(payload, { trustedRootKeys: [rootPublicKey], now: new Date() });
 * const next = verifyKeyring(update, { trusted: keyring });
 */
export function verifyKeyring(candidate: unknown, trust: KeyringTrust): SignedKeyring {
  const raw = decodeJson(candidate, 'keyring');
  const envelope = validate(raw, SignedKeyringSchema, 'keyring');
  const doc = envelope.signed;
  const now = trust.now ?? new Date();
  const trustedRoot = rootSetOf(trust);
  if (doc.version <= trustedRoot.version) {
    throw new ProtocolError(
      'EF_PROTO_KEYRING_VERSION',
      `keyring version ${doc.version} is not above the trusted version ${trustedRoot.version}`,
      { version: doc.version, trustedVersion: trustedRoot.version },
    );
  }
  const newRoot = new Map<string, PublicKeyInput>(doc.root.keys.map((k) => [k.keyId, k.publicKey]));
  const rootChanged =
    newRoot.size !== trustedRoot.keys.size ||
    [...newRoot.keys()].some((id) => !trustedRoot.keys.has(id));
  // Verify over the value as received: the signature covers exactly what was sent.
  const bytes = canonicalBytes((raw as { signed: unknown }).signed);
  let byTrusted = false;
  let byNew = false;
  for (const signature of envelope.signatures) {
    const key = trustedRoot.keys.get(signature.keyId) ?? newRoot.get(signature.keyId);
    if (key === undefined) {
      throw new ProtocolError(
        'EF_PROTO_KEYRING_SIGNATURE',
        `keyring version ${doc.version} carries a signature by ${signature.keyId}, which is neither a trusted nor a new root key`,
        { version: doc.version, keyId: signature.keyId },
      );
    }
    verifyBytes(bytes, signature, loadPublicKey(key));
    byTrusted ||= trustedRoot.keys.has(signature.keyId);
    byNew ||= newRoot.has(signature.keyId);
  }
  if (!byTrusted) {
    throw new ProtocolError(
      'EF_PROTO_KEYRING_SIGNATURE',
      `keyring version ${doc.version} is not signed by a key of the trusted root`,
      { version: doc.version },
    );
  }
  if (rootChanged && !byNew) {
    throw new ProtocolError(
      'EF_PROTO_KEYRING_ROOT',
      `keyring version ${doc.version} changes the root but is not signed by a key of its new root`,
      { version: doc.version },
    );
  }
  if ((trust.checkExpiry ?? true) && now.getTime() >= Date.parse(doc.expires)) {
    throw new ProtocolError(
      'EF_PROTO_KEYRING_EXPIRED',
      `keyring version ${doc.version} expired at ${doc.expires}`,
      { version: doc.version, expires: doc.expires },
    );
  }
  return envelope;
}

function atLink(err: unknown, index: number, version: unknown): never {
  if (err instanceof ProtocolError) {
    throw new ProtocolError(
      err.code,
      `keyring chain link ${index} (version ${String(version)}): ${err.message}`,
      { ...err.details, link: index },
      { cause: err },
    );
  }
  throw err;
}

function versionOf(value: unknown): unknown {
  try {
    return (decodeJson(value, 'keyring') as { signed?: { version?: unknown } }).signed?.version;
  } catch {
    return undefined;
  }
}

/**
 * [P-KR-9] Walks a chain of keyrings (ascending versions) from the provisioned root key and
 * returns the last one. Only the last must be unexpired. Throws the failing link's code with
 * `details.link` set to its index.
 *
 * @example
 * const trusted = verifyKeyringChain(rootPublicKey, [v1, v2, v3], { now: new Date() });
 */
export function verifyKeyringChain(
  rootPublicKey: PublicKeyInput | PublicKeyInput[],
  chain: ReadonlyArray<unknown>,
  options: { now?: Date } = {},
): SignedKeyring {
  if (chain.length === 0) {
    throw new ProtocolError('EF_PROTO_ARGUMENT', 'verifyKeyringChain needs at least one keyring');
  }
  const roots = Array.isArray(rootPublicKey) ? rootPublicKey : [rootPublicKey];
  let trusted: SignedKeyring | undefined;
  chain.forEach((link, i) => {
    try {
      trusted = verifyKeyring(link, {
        ...(trusted ? { trusted } : { trustedRootKeys: roots }),
        now: options.now ?? new Date(),
        checkExpiry: i === chain.length - 1,
      });
    } catch (err) {
      atLink(err, i, versionOf(link));
    }
  });
  return trusted as SignedKeyring;
}

/**
 * [P-DS-4] Moves trust forward with whatever newer keyrings arrived (in any order; older or equal
 * versions are skipped), and returns the newest trusted keyring, which must be unexpired.
 *
 * @example
 * const keyring = advanceKeyring({ trusted: deviceKeyring }, [envelope.keyring], new Date());
 */
export function advanceKeyring(
  trust: { trusted?: SignedKeyring; trustedRootKeys?: PublicKeyInput[] },
  candidates: ReadonlyArray<SignedKeyring>,
  now: Date = new Date(),
): SignedKeyring {
  const floor = trust.trusted?.signed.version ?? 0;
  const newer = candidates
    .filter((c) => c.signed.version > floor)
    .sort((a, b) => a.signed.version - b.signed.version);
  let current = trust.trusted;
  newer.forEach((candidate, i) => {
    if (current && candidate.signed.version <= current.signed.version) return;
    current = verifyKeyring(candidate, {
      ...(current ? { trusted: current } : { trustedRootKeys: trust.trustedRootKeys ?? [] }),
      now,
      checkExpiry: i === newer.length - 1,
    });
  });
  if (!current) {
    throw new ProtocolError('EF_PROTO_ARGUMENT', 'no trusted keyring and no keyring to verify');
  }
  if (now.getTime() >= Date.parse(current.signed.expires)) {
    throw new ProtocolError(
      'EF_PROTO_KEYRING_EXPIRED',
      `trusted keyring version ${current.signed.version} expired at ${current.signed.expires}`,
      { version: current.signed.version, expires: current.signed.expires },
    );
  }
  return current;
}
