/**
 * Per-device MQTT secrets (issue 5, "Broker security"): the hub hands a device a random secret
 * once, at enrolment, and stores only a salted scrypt hash of it.
 *
 * Hash format: `scrypt$N=<N>,r=<r>,p=<p>$<salt base64url>$<key base64url>`, so the cost
 * parameters can be raised later without breaking existing hashes.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import type { ScryptOptions } from 'node:crypto';
import { BrokerError } from './broker-errors.js';

/** Cost parameters used for new hashes. */
export const DEVICE_SECRET_SCRYPT = { N: 16384, r: 8, p: 1, saltBytes: 16, keyBytes: 32 } as const;

const MAX_N = 1 << 20;
const MAX_R = 32;
const MAX_P = 16;
const HASH_PATTERN =
  /^scrypt\$N=(\d{1,8}),r=(\d{1,3}),p=(\d{1,3})\$([A-Za-z0-9_-]{16,128})\$([A-Za-z0-9_-]{16,256})$/;

function scryptAsync(
  secret: string,
  salt: Buffer,
  keyLength: number,
  options: ScryptOptions,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, keyLength, options, (err, key) => {
      if (err) reject(err);
      else resolve(key);
    });
  });
}

function maxmem(N: number, r: number, p: number): number {
  return 128 * N * r * p + 128 * r * (N + p) + 1024 * 1024;
}

/** A new device secret: 32 random bytes, base64url (43 characters). */
export function generateDeviceSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** Hashes `secret` with scrypt and a random salt; the result encodes the parameters. */
export async function hashDeviceSecret(secret: string): Promise<string> {
  const { N, r, p, saltBytes, keyBytes } = DEVICE_SECRET_SCRYPT;
  const salt = randomBytes(saltBytes);
  const key = await scryptAsync(secret, salt, keyBytes, { N, r, p, maxmem: maxmem(N, r, p) });
  return `scrypt$N=${N},r=${r},p=${p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

/**
 * True when `secret` matches `hash` (constant-time comparison). Throws
 * `EF_HUB_BROKER_SECRET_HASH` when `hash` is malformed or its parameters are out of bounds.
 */
export async function verifyDeviceSecret(secret: string, hash: string): Promise<boolean> {
  const m = HASH_PATTERN.exec(hash);
  if (!m) {
    throw new BrokerError('EF_HUB_BROKER_SECRET_HASH', 'device secret hash is not scrypt$N=..');
  }
  const N = Number(m[1]);
  const r = Number(m[2]);
  const p = Number(m[3]);
  if (N < 2 || N > MAX_N || (N & (N - 1)) !== 0 || r < 1 || r > MAX_R || p < 1 || p > MAX_P) {
    throw new BrokerError(
      'EF_HUB_BROKER_SECRET_HASH',
      `device secret hash has unsupported scrypt parameters N=${N}, r=${r}, p=${p}`,
    );
  }
  const salt = Buffer.from(m[4] ?? '', 'base64url');
  const expected = Buffer.from(m[5] ?? '', 'base64url');
  if (typeof secret !== 'string' || secret.length === 0 || secret.length > 1024) return false;
  const actual = await scryptAsync(secret, salt, expected.length, {
    N,
    r,
    p,
    maxmem: maxmem(N, r, p),
  });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
