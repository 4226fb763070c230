import { describe, expect, it } from 'vitest';
import {
  parseDesiredEnvelope,
  rotateKeyring,
  signDesiredState,
  signDocument,
  verifyDesiredState,
  type DesiredEnvelope,
} from '../src/index.js';
import {
  LATER,
  NOW,
  makeDesired,
  makeEnvelope,
  makeKeyring,
  makeKeys,
} from './helpers/sample-messages.js';

const keys = makeKeys();
const keyring = makeKeyring(keys);
const base = { deviceId: 'press-07', trustedKeyring: keyring, now: NOW };
const expectCode = (fn: () => unknown, code: string) =>
  expect(fn).toThrow(expect.objectContaining({ code }));

describe('desired state', () => {
  it('round-trips through JSON and verifies [P-DS-1, P-DS-2]', () => {
    const env = makeEnvelope(keys);
    const wire = JSON.stringify(env);
    expect(parseDesiredEnvelope(wire)).toEqual(env);
    const { desired, keyring: trusted } = verifyDesiredState(Buffer.from(wire), {
      ...base,
      lastVersion: 4,
    });
    expect(desired).toEqual(makeDesired());
    expect(trusted).toEqual(keyring);
  });

  it('verifies from the provisioned root key alone', () => {
    const env = makeEnvelope(keys);
    const out = verifyDesiredState(env, {
      deviceId: 'press-07',
      rootPublicKey: keys.rootA.publicKeyPem,
      now: NOW,
    });
    expect(out.keyring.signed.version).toBe(1);
  });

  it('moves trust to a newer keyring carried in the envelope [P-DS-4]', () => {
    const v2 = rotateKeyring(keyring, {
      signers: [keys.rootA.privateKeyPem],
      deploy: [keys.other.publicKeyPem],
      expires: LATER,
      now: NOW,
    });
    const env = signDesiredState(makeDesired(), keys.other.privateKeyPem, v2);
    expect(verifyDesiredState(env, base).keyring.signed.version).toBe(2);
  });

  it('walks a root rotation through keyringChain for a long-offline device', () => {
    const v2 = rotateKeyring(keyring, {
      signers: [keys.rootA.privateKeyPem, keys.rootB.privateKeyPem],
      root: [keys.rootB.publicKeyPem],
      expires: LATER,
      now: NOW,
    });
    const v3 = rotateKeyring(v2, { signers: [keys.rootB.privateKeyPem], expires: LATER, now: NOW });
    const env = signDesiredState(makeDesired(), keys.deploy.privateKeyPem, v3, {
      keyringChain: [v2],
    });
    expect(verifyDesiredState(env, base).keyring.signed.version).toBe(3);
    const withoutChain = signDesiredState(makeDesired(), keys.deploy.privateKeyPem, v3);
    expectCode(() => verifyDesiredState(withoutChain, base), 'EF_PROTO_KEYRING_SIGNATURE');
  });

  it('uses the device keyring when the envelope carries an older one', () => {
    const v2 = rotateKeyring(keyring, {
      signers: [keys.rootA.privateKeyPem],
      expires: LATER,
      now: NOW,
    });
    const env = makeEnvelope(keys);
    expect(verifyDesiredState(env, { ...base, trustedKeyring: v2 }).keyring).toEqual(v2);
  });

  it('allows a downgrade when the signed document says so [P-DS-8]', () => {
    const env = makeEnvelope(keys, makeDesired({ allowDowngrade: true }));
    expect(
      verifyDesiredState(env, { ...base, installed: { 'pump-anomaly': '2.0.0' } }).desired
        .allowDowngrade,
    ).toBe(true);
  });

  it('accepts an upgrade and an equal version, ignoring models not installed', () => {
    const env = makeEnvelope(keys);
    verifyDesiredState(env, {
      ...base,
      installed: { 'pump-anomaly': '1.2.0-rc.1', other: '9.0.0' },
    });
    verifyDesiredState(env, { ...base, installed: { 'pump-anomaly': '1.2.0' } });
  });
});

describe('rejects desired states', () => {
  it('rejects a lower or equal version as a replay (EF_PROTO_DESIRED_REPLAY) [P-DS-3]', () => {
    const env = makeEnvelope(keys);
    expectCode(
      () => verifyDesiredState(env, { ...base, lastVersion: 5 }),
      'EF_PROTO_DESIRED_REPLAY',
    );
    expectCode(
      () => verifyDesiredState(env, { ...base, lastVersion: 9 }),
      'EF_PROTO_DESIRED_REPLAY',
    );
  });

  it('rejects an expired document (EF_PROTO_DESIRED_EXPIRED) [P-DS-7]', () => {
    expectCode(
      () =>
        verifyDesiredState(makeEnvelope(keys), {
          ...base,
          now: new Date('2025-06-08T12:00:00.000Z'),
        }),
      'EF_PROTO_DESIRED_EXPIRED',
    );
  });

  it('rejects a document for another device (EF_PROTO_DESIRED_DEVICE) [P-DS-6]', () => {
    expectCode(
      () => verifyDesiredState(makeEnvelope(keys), { ...base, deviceId: 'press-08' }),
      'EF_PROTO_DESIRED_DEVICE',
    );
  });

  it('rejects a downgrade without allowDowngrade (EF_PROTO_DESIRED_DOWNGRADE) [P-DS-8]', () => {
    expectCode(
      () =>
        verifyDesiredState(makeEnvelope(keys), {
          ...base,
          installed: { 'pump-anomaly': '1.10.0' },
        }),
      'EF_PROTO_DESIRED_DOWNGRADE',
    );
  });

  it('rejects a signer not in the keyring (EF_PROTO_KEY_UNKNOWN) [P-DS-5]', () => {
    const env = signDesiredState(makeDesired(), keys.other.privateKeyPem, keyring);
    expectCode(() => verifyDesiredState(env, base), 'EF_PROTO_KEY_UNKNOWN');
  });

  it('rejects a release key signing desired state (EF_PROTO_KEY_ROLE): a stolen compiler key cannot deploy', () => {
    const env = signDesiredState(makeDesired(), keys.release.privateKeyPem, keyring);
    expectCode(() => verifyDesiredState(env, base), 'EF_PROTO_KEY_ROLE');
  });

  it('rejects a root key signing desired state (EF_PROTO_KEY_ROLE)', () => {
    const env = signDesiredState(makeDesired(), keys.rootA.privateKeyPem, keyring);
    expectCode(() => verifyDesiredState(env, base), 'EF_PROTO_KEY_ROLE');
  });

  it('rejects an expired deploy key (EF_PROTO_KEY_EXPIRED)', () => {
    const kr = rotateKeyring(keyring, {
      signers: [keys.rootA.privateKeyPem],
      deploy: [keys.deploy.publicKeyPem],
      expires: LATER,
      keyExpires: new Date('2025-06-01T13:00:00.000Z'),
      now: NOW,
    });
    const env = signDesiredState(
      makeDesired({ expires: '2025-07-01T00:00:00.000Z' }),
      keys.deploy.privateKeyPem,
      kr,
    );
    expectCode(
      () => verifyDesiredState(env, { ...base, now: new Date('2025-06-02T00:00:00.000Z') }),
      'EF_PROTO_KEY_EXPIRED',
    );
  });

  it('rejects an expired keyring (EF_PROTO_KEYRING_EXPIRED)', () => {
    const kr = makeKeyring(keys, new Date('2025-06-02T00:00:00.000Z'));
    const env = signDesiredState(makeDesired(), keys.deploy.privateKeyPem, kr);
    expectCode(
      () =>
        verifyDesiredState(env, {
          ...base,
          trustedKeyring: kr,
          now: new Date('2025-06-03T00:00:00.000Z'),
        }),
      'EF_PROTO_KEYRING_EXPIRED',
    );
  });

  it('rejects a keyring forged by someone without the root key', () => {
    const forged = makeKeyring({ ...keys, rootA: keys.other });
    const env = signDesiredState(makeDesired({ version: 6 }), keys.deploy.privateKeyPem, {
      ...forged,
      signed: { ...forged.signed, version: 2 },
    });
    expectCode(() => verifyDesiredState(env, base), 'EF_PROTO_SIGNATURE_INVALID');
  });

  it('rejects a tampered document (EF_PROTO_SIGNATURE_INVALID)', () => {
    const env = makeEnvelope(keys);
    const tampered: DesiredEnvelope = { ...env, signed: { ...env.signed, allowDowngrade: true } };
    expectCode(() => verifyDesiredState(tampered, base), 'EF_PROTO_SIGNATURE_INVALID');
  });

  it('rejects a good signature next to a bad one [P-SG-4]', () => {
    const env = makeEnvelope(keys);
    const bad = { ...signDocument({ other: 1 }, keys.deploy.privateKeyPem) };
    const kr = rotateKeyring(keyring, {
      signers: [keys.rootA.privateKeyPem],
      deploy: [keys.deploy.publicKeyPem, keys.other.publicKeyPem],
      expires: LATER,
      now: NOW,
    });
    const otherBad = signDocument({ other: 1 }, keys.other.privateKeyPem);
    expect(bad.keyId).toBe(env.signatures[0]?.keyId);
    expectCode(
      () =>
        verifyDesiredState(
          { ...env, keyring: kr, signatures: [...env.signatures, otherBad] },
          base,
        ),
      'EF_PROTO_SIGNATURE_INVALID',
    );
  });

  it('rejects unknown fields in the signed document (EF_PROTO_SCHEMA)', () => {
    const env = makeEnvelope(keys);
    expectCode(
      () => verifyDesiredState({ ...env, signed: { ...env.signed, extra: true } }, base),
      'EF_PROTO_SCHEMA',
    );
  });

  it('rejects unknown fields on the envelope (EF_PROTO_SCHEMA)', () => {
    expectCode(
      () => verifyDesiredState({ ...makeEnvelope(keys), extra: 1 }, base),
      'EF_PROTO_SCHEMA',
    );
  });

  it('rejects duplicate model names and a bad device id (EF_PROTO_SCHEMA)', () => {
    const d = makeDesired();
    expectCode(
      () =>
        signDesiredState(
          { ...d, models: [d.models[0]!, d.models[0]!] },
          keys.deploy.privateKeyPem,
          keyring,
        ),
      'EF_PROTO_SCHEMA',
    );
    expectCode(
      () => signDesiredState({ ...d, device: 'a/#' }, keys.deploy.privateKeyPem, keyring),
      'EF_PROTO_SCHEMA',
    );
  });
});
