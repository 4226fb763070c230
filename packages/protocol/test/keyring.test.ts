import { describe, expect, it } from 'vitest';
import {
  createKeyring,
  isEdgefleetError,
  keyIdOf,
  parseKeyringEnvelope,
  resolveSigningKey,
  rotateKeyring,
  signDocument,
  signEnvelope,
  verifyBundleSignature,
  verifyKeyring,
  verifyKeyringChain,
  type SignedKeyring,
} from '../src/index.js';
import { LATER, NOW, makeKeyring, makeKeys, makeManifest } from './helpers/sample-messages.js';

const keys = makeKeys();
const expectCode = (fn: () => unknown, code: string) =>
  expect(fn).toThrow(expect.objectContaining({ code }));
const DAY = 86_400_000;
const at = (days: number) => new Date(NOW.getTime() + days * DAY);

// root A (v1) -> root B, signed by A and B (v2) -> root C, signed by B and C (v3)
function rotationChain() {
  const v1 = makeKeyring(keys);
  const v2 = rotateKeyring(v1, {
    signers: [keys.rootA.privateKeyPem, keys.rootB.privateKeyPem],
    root: [keys.rootB.publicKeyPem],
    expires: LATER,
    now: at(1),
  });
  const v3 = rotateKeyring(v2, {
    signers: [keys.rootB.privateKeyPem, keys.rootC.privateKeyPem],
    root: [keys.rootC.publicKeyPem],
    deploy: [keys.other.publicKeyPem],
    expires: LATER,
    now: at(2),
  });
  return { v1, v2, v3 };
}

describe('keyring', () => {
  it('creates a keyring signed by root that verifies against the provisioned root key [P-KR-1]', () => {
    const kr = makeKeyring(keys);
    expect(kr.signed.version).toBe(1);
    expect(kr.signatures.map((s) => s.keyId)).toEqual([keyIdOf(keys.rootA.publicKeyPem)]);
    expect(
      verifyKeyring(JSON.stringify(kr), { trustedRootKeys: [keys.rootA.publicKeyPem], now: NOW }),
    ).toEqual(kr);
    expect(parseKeyringEnvelope(Buffer.from(JSON.stringify(kr)))).toEqual(kr);
  });

  it('rotates a deploy key under the same root [P-KR-5]', () => {
    const v1 = makeKeyring(keys);
    const v2 = rotateKeyring(v1, {
      signers: [keys.rootA.privateKeyPem],
      deploy: [keys.other.publicKeyPem],
      expires: LATER,
      now: at(1),
    });
    expect(v2.signed.version).toBe(2);
    expect(verifyKeyring(v2, { trusted: v1, now: at(1) }).signed.keys.map((k) => k.role)).toEqual([
      'release',
      'deploy',
    ]);
    expectCode(
      () => resolveSigningKey(v2, keyIdOf(keys.deploy.publicKeyPem), 'deploy', at(1)),
      'EF_PROTO_KEY_UNKNOWN',
    );
    expect(
      resolveSigningKey(v2, keyIdOf(keys.other.publicKeyPem), 'deploy', at(1)).asymmetricKeyType,
    ).toBe('ed25519');
  });

  it('verifies a root rotation chain A -> B -> C [P-KR-9]', () => {
    const { v1, v2, v3 } = rotationChain();
    const trusted = verifyKeyringChain(keys.rootA.publicKeyPem, [v1, v2, v3], { now: at(3) });
    expect(trusted.signed.version).toBe(3);
    expect(trusted.signed.root.keys[0]?.keyId).toBe(keyIdOf(keys.rootC.publicKeyPem));
    // Step by step from a trusted keyring, as a device does.
    expect(verifyKeyring(v2, { trusted: v1, now: at(3) }).signed.version).toBe(2);
    expect(
      verifyKeyring(v3, { trusted: verifyKeyring(v2, { trusted: v1, now: at(3) }), now: at(3) })
        .signed.version,
    ).toBe(3);
  });

  it('only checks the expiry of the last link of a chain [P-KR-8]', () => {
    const v1 = makeKeyring(keys, at(5));
    const v2 = rotateKeyring(v1, {
      signers: [keys.rootA.privateKeyPem],
      expires: LATER,
      now: at(1),
    });
    expect(
      verifyKeyringChain(keys.rootA.publicKeyPem, [v1, v2], { now: at(10) }).signed.version,
    ).toBe(2);
  });

  it('resolves keys by role and enforces roles, so a stolen key signs only its kind [P-KR-3, P-KR-4]', () => {
    const kr = makeKeyring(keys);
    const release = keyIdOf(keys.release.publicKeyPem);
    const deploy = keyIdOf(keys.deploy.publicKeyPem);
    expect(resolveSigningKey(kr, release, 'release', NOW)).toBeDefined();
    expectCode(() => resolveSigningKey(kr, release, 'deploy', NOW), 'EF_PROTO_KEY_ROLE');
    expectCode(() => resolveSigningKey(kr.signed, deploy, 'release', NOW), 'EF_PROTO_KEY_ROLE');
    expectCode(
      () => resolveSigningKey(kr, keyIdOf(keys.rootA.publicKeyPem), 'release', NOW),
      'EF_PROTO_KEY_ROLE',
    );
    expectCode(
      () => resolveSigningKey(kr, keyIdOf(keys.other.publicKeyPem), 'release', NOW),
      'EF_PROTO_KEY_UNKNOWN',
    );
    expectCode(() => resolveSigningKey(kr, release, 'release', LATER), 'EF_PROTO_KEY_EXPIRED');
  });

  it('verifies a bundle signature by a release key, and refuses a deploy key [P-BD-2]', () => {
    const kr = makeKeyring(keys);
    const manifest = JSON.stringify(makeManifest(), null, 2);
    const good = signDocument(JSON.parse(manifest), keys.release.privateKeyPem);
    verifyBundleSignature(Buffer.from(manifest), JSON.stringify(good), kr, NOW);
    const byDeploy = signDocument(JSON.parse(manifest), keys.deploy.privateKeyPem);
    expectCode(() => verifyBundleSignature(manifest, byDeploy, kr, NOW), 'EF_PROTO_KEY_ROLE');
    expectCode(
      () => verifyBundleSignature(manifest.replace('"1.2.0"', '"1.2.1"'), good, kr, NOW),
      'EF_PROTO_SIGNATURE_INVALID',
    );
  });
});

describe('rejects broken keyring chains', () => {
  const { v1, v2, v3 } = rotationChain();

  function failure(fn: () => unknown): { code?: string; link?: unknown } {
    try {
      fn();
    } catch (err) {
      if (isEdgefleetError(err)) return { code: err.code, link: err.details?.link };
      throw err;
    }
    throw new Error('expected a failure');
  }

  it('rejects a root change without the new root signature (EF_PROTO_KEYRING_ROOT)', () => {
    const bad = signEnvelope(v2.signed, [keys.rootA.privateKeyPem]);
    expect(
      failure(() => verifyKeyringChain(keys.rootA.publicKeyPem, [v1, bad], { now: at(3) })),
    ).toEqual({
      code: 'EF_PROTO_KEYRING_ROOT',
      link: 1,
    });
  });

  it('rejects a root change without the old root signature (EF_PROTO_KEYRING_SIGNATURE)', () => {
    const bad = signEnvelope(v2.signed, [keys.rootB.privateKeyPem]);
    expect(
      failure(() => verifyKeyringChain(keys.rootA.publicKeyPem, [v1, bad], { now: at(3) })),
    ).toEqual({
      code: 'EF_PROTO_KEYRING_SIGNATURE',
      link: 1,
    });
  });

  it('rejects a skipped link: C signed by B is not trusted from A', () => {
    expect(
      failure(() => verifyKeyringChain(keys.rootA.publicKeyPem, [v1, v3], { now: at(3) })).code,
    ).toBe('EF_PROTO_KEYRING_SIGNATURE');
  });

  it('rejects a replayed version (EF_PROTO_KEYRING_VERSION)', () => {
    expect(
      failure(() => verifyKeyringChain(keys.rootA.publicKeyPem, [v1, v2, v2], { now: at(3) })),
    ).toEqual({
      code: 'EF_PROTO_KEYRING_VERSION',
      link: 2,
    });
    expectCode(() => verifyKeyring(v1, { trusted: v2, now: at(3) }), 'EF_PROTO_KEYRING_VERSION');
  });

  it('rejects a first keyring signed by another root', () => {
    expectCode(
      () => verifyKeyring(v1, { trustedRootKeys: [keys.rootB.publicKeyPem], now: NOW }),
      'EF_PROTO_KEYRING_SIGNATURE',
    );
  });

  it('rejects an expired keyring (EF_PROTO_KEYRING_EXPIRED)', () => {
    expectCode(
      () => verifyKeyring(v1, { trustedRootKeys: [keys.rootA.publicKeyPem], now: LATER }),
      'EF_PROTO_KEYRING_EXPIRED',
    );
  });

  it('rejects an extra signature by a non-root key', () => {
    const extra: SignedKeyring = {
      ...v1,
      signatures: [...v1.signatures, signDocument(v1.signed, keys.release.privateKeyPem)],
    };
    expectCode(
      () => verifyKeyring(extra, { trustedRootKeys: [keys.rootA.publicKeyPem], now: NOW }),
      'EF_PROTO_KEYRING_SIGNATURE',
    );
  });

  it('rejects a keyring whose key id does not match its key', () => {
    const doc = structuredClone(v1.signed);
    doc.keys[0]!.keyId = keyIdOf(keys.other.publicKeyPem);
    const env = signEnvelope(doc, [keys.rootA.privateKeyPem]);
    expectCode(
      () => verifyKeyring(env, { trustedRootKeys: [keys.rootA.publicKeyPem], now: NOW }),
      'EF_PROTO_SCHEMA',
    );
  });

  it('rejects a key with two roles or a root key with a role', () => {
    expectCode(
      () =>
        createKeyring({
          rootPrivateKey: keys.rootA.privateKeyPem,
          release: [keys.release.publicKeyPem],
          deploy: [keys.release.publicKeyPem],
          expires: LATER,
          now: NOW,
        }),
      'EF_PROTO_SCHEMA',
    );
    expectCode(
      () =>
        createKeyring({
          rootPrivateKey: keys.rootA.privateKeyPem,
          release: [keys.rootA.publicKeyPem],
          deploy: [],
          expires: LATER,
          now: NOW,
        }),
      'EF_PROTO_SCHEMA',
    );
  });

  it('refuses to produce a rotation the devices would reject', () => {
    expectCode(
      () =>
        rotateKeyring(v1, {
          signers: [keys.rootA.privateKeyPem],
          root: [keys.rootB.publicKeyPem],
          expires: LATER,
          now: at(1),
        }),
      'EF_PROTO_ARGUMENT',
    );
  });
});
