// Every byte of a signed document matters: flipping any one byte of the canonical form of a
// signed keyring or desired state must make verification fail with a coded error.
import { describe, expect, it } from 'vitest';
import {
  canonicalBytes,
  isEdgefleetError,
  verifyDesiredState,
  verifyKeyring,
} from '../src/index.js';
import { NOW, makeEnvelope, makeKeyring, makeKeys } from './helpers/sample-messages.js';

const keys = makeKeys();

function flippedVariants(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i++) {
    for (const mask of [0x01, 0x20]) {
      const copy = Buffer.from(bytes);
      copy[i] = (copy[i] as number) ^ mask;
      out.push(copy);
    }
  }
  return out;
}

function rejectsAll(variants: Buffer[], verify: (b: Buffer) => unknown): void {
  const accepted: number[] = [];
  variants.forEach((v, i) => {
    try {
      verify(v);
      accepted.push(i);
    } catch (err) {
      if (!isEdgefleetError(err)) throw err;
    }
  });
  expect(accepted).toEqual([]);
}

describe('rejects any flipped byte', () => {
  it('in a signed keyring', () => {
    const bytes = canonicalBytes(makeKeyring(keys));
    verifyKeyring(bytes, { trustedRootKeys: [keys.rootA.publicKeyPem], now: NOW });
    rejectsAll(flippedVariants(bytes), (b) =>
      verifyKeyring(b, { trustedRootKeys: [keys.rootA.publicKeyPem], now: NOW }),
    );
  });

  it('in the signed part of a desired-state envelope', () => {
    const env = makeEnvelope(keys);
    const bytes = canonicalBytes(env);
    const opts = {
      deviceId: 'press-07',
      rootPublicKey: keys.rootA.publicKeyPem,
      now: NOW,
      lastVersion: 4,
    };
    verifyDesiredState(bytes, opts);
    rejectsAll(flippedVariants(bytes), (b) => verifyDesiredState(b, opts));
  });
});
