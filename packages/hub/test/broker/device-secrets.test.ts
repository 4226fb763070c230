import { pbkdf2Sync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isEdgefleetError } from '@edgefleet/protocol';
import {
  DEVICE_SECRET_PBKDF2,
  generateDeviceSecret,
  hashDeviceSecret,
  isDeviceSecretHash,
  verifyDeviceSecret,
} from '../../src/broker/device-secrets.js';

const HASH = /^\$7\$101\$[A-Za-z0-9+/]{16}\$[A-Za-z0-9+/]{86}==$/;

/** A `$7$` hash built independently of the module, as mosquitto_passwd would write it. */
function referenceHash(secret: string, salt: Buffer, iterations: number): string {
  const key = pbkdf2Sync(secret, salt, iterations, 64, 'sha512');
  return `$7$${iterations}$${salt.toString('base64')}$${key.toString('base64')}`;
}

const isHashError = (e: unknown) => isEdgefleetError(e, 'EF_HUB_BROKER_SECRET_HASH');

describe('device secrets', () => {
  it('generates 32 random bytes as base64url', () => {
    const a = generateDeviceSecret();
    const b = generateDeviceSecret();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(a, 'base64url')).toHaveLength(32);
    expect(a).not.toBe(b);
  });

  it("hashes in Mosquitto's $7$ PBKDF2-SHA512 format with a fresh salt, and verifies", async () => {
    const secret = generateDeviceSecret();
    const h1 = await hashDeviceSecret(secret);
    const h2 = await hashDeviceSecret(secret);
    expect(DEVICE_SECRET_PBKDF2).toMatchObject({ iterations: 101, saltBytes: 12, keyBytes: 64 });
    expect(h1).toMatch(HASH);
    expect(h1).not.toBe(h2);
    expect(h1).not.toContain(secret);
    expect(isDeviceSecretHash(h1)).toBe(true);
    expect(await verifyDeviceSecret(secret, h1)).toBe(true);
    expect(await verifyDeviceSecret(secret, h2)).toBe(true);
    expect(await verifyDeviceSecret(`${secret}x`, h1)).toBe(false);
    expect(await verifyDeviceSecret(secret.slice(1), h1)).toBe(false);
    expect(await verifyDeviceSecret('', h1)).toBe(false);
    expect(await verifyDeviceSecret(`${secret}\u0000`, h1)).toBe(false);
  });

  it('computes exactly PBKDF2-HMAC-SHA512(secret, salt, iterations, 64 bytes)', async () => {
    const secret = generateDeviceSecret();
    const h = await hashDeviceSecret(secret);
    const [, , iterations, salt] = h.split('$');
    expect(referenceHash(secret, Buffer.from(salt ?? '', 'base64'), Number(iterations))).toBe(h);
  });

  it('verifies hashes with other iteration counts (the count lives in the hash)', async () => {
    const salt = Buffer.from('0123456789ab');
    for (const iterations of [1, 1000, 20_000]) {
      const h = referenceHash('s3cret', salt, iterations);
      expect(await verifyDeviceSecret('s3cret', h)).toBe(true);
      expect(await verifyDeviceSecret('s3creT', h)).toBe(false);
    }
  });

  it('refuses malformed hashes with EF_HUB_BROKER_SECRET_HASH', async () => {
    const good = referenceHash('s3cret', Buffer.from('0123456789ab'), 1000);
    const [, , , salt, key] = good.split('$');
    const saltB64 = salt ?? '';
    const keyB64 = key ?? '';
    const shortSalt = Buffer.alloc(9, 1).toString('base64');
    const shortKey = Buffer.alloc(32, 1).toString('base64');
    for (const bad of [
      'plain',
      '',
      'scrypt$N=16384,r=8,p=1$abcdefghijklmnop$abcdefghijklmnopqrstuvwxyz',
      `$6$${saltB64}$${keyB64}`, // salted SHA512 without PBKDF2: not accepted
      `$7$0$${saltB64}$${keyB64}`,
      `$7$01000$${saltB64}$${keyB64}`,
      `$7$2000000$${saltB64}$${keyB64}`, // over MAX_DEVICE_SECRET_ITERATIONS
      `$7$1000$${shortSalt}$${keyB64}`, // Mosquitto drops salts that are not 12 bytes
      `$7$1000$${saltB64}$${shortKey}`, // and keys that are not 64 bytes
      `$7$1000$${saltB64.replace(/.$/, '-')}$${keyB64}`, // base64url is not Mosquitto's alphabet
      `$7$1000$${saltB64}$${keyB64.slice(0, -3)}B==`, // non-canonical trailing bits
      `${good}\n`,
      `$7$1000$${saltB64}$${keyB64}$extra`,
    ]) {
      expect(isDeviceSecretHash(bad), bad).toBe(false);
      await expect(verifyDeviceSecret('s3cret', bad), bad).rejects.toSatisfy(isHashError);
    }
    await expect(verifyDeviceSecret('s3cret', 42 as unknown as string)).rejects.toSatisfy(
      isHashError,
    );
  });

  it('refuses to hash a secret Mosquitto would read differently, with EF_HUB_DEVICE_SECRET', async () => {
    for (const bad of ['', 'a\u0000b', 'x'.repeat(1025), 7 as unknown as string]) {
      await expect(hashDeviceSecret(bad)).rejects.toSatisfy((e: unknown) =>
        isEdgefleetError(e, 'EF_HUB_DEVICE_SECRET'),
      );
    }
  });
});
