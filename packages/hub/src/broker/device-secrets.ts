/**
 * Per-device MQTT secrets (issue 5, "Broker security"): the hub hands a device a random secret
 * once, at enrolment, and stores only a salted hash of it.
 *
 * The hash is Mosquitto 2.0's own PBKDF2-SHA512 password_file format, so the one stored string
 * serves both brokers: the embedded broker checks it with {@link verifyDeviceSecret}, and the
 * hub writes it verbatim into an external Mosquitto's `password_file` (docs/mosquitto.md).
 *
 * `$7$<iterations>$<salt>$<hash>`, as Mosquitto 2.0.11 parses it (src/security_default.c,
 * `unpwd__decode_passwords`): `7` = PBKDF2-HMAC-SHA512; iterations in decimal (>= 1); the salt
 * exactly 12 bytes and the derived key exactly 64 bytes, both standard padded base64 (OpenSSL's
 * BIO base64, alphabet `+/`, no line breaks). Mosquitto drops an entry whose salt or key has any
 * other length, so the hub never produces one.
 */
import { pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { BrokerError } from './broker-errors.js';
import { MosquittoError } from '../mosquitto/mosquitto-errors.js';

/**
 * Parameters used for new hashes. Verification reads the iteration count from each hash, so
 * the count can change later without invalidating stored hashes.
 *
 * Why 101 iterations (Mosquitto's own `mosquitto_passwd` default): a device secret is 32 random
 * bytes, so guessing it takes ~2^255 tries at any iteration count; stretching only helps weak,
 * human-chosen passwords, and the hub never issues one. The cost is real, though: Mosquitto runs
 * PBKDF2 on its single thread for every CONNECT and, on every SIGHUP reload, again for every
 * connected client. Measured here with 3,200 connected clients, a reload stalled Mosquitto for
 * ~0.5 s at 101 iterations and ~1.3-2.9 s at 1,000 (~16 s at 10,000 with 1,600 clients), and a
 * revocation in external mode is a reload (docs/mosquitto.md).
 */
export const DEVICE_SECRET_PBKDF2 = {
  digest: 'sha512',
  iterations: 101,
  saltBytes: 12,
  keyBytes: 64,
} as const;

/** Largest iteration count accepted from a stored hash (bounds the work a bad hash can cause). */
export const MAX_DEVICE_SECRET_ITERATIONS = 1_000_000;

const MAX_SECRET_CHARS = 1024;
// 12 bytes = 16 base64 characters without padding; 64 bytes = 86 characters + "==".
const HASH_PATTERN = /^\$7\$([1-9]\d{0,6})\$([A-Za-z0-9+/]{16})\$([A-Za-z0-9+/]{86}==)$/;

function pbkdf2Async(secret: string, salt: Buffer, iterations: number): Promise<Buffer> {
  const { keyBytes, digest } = DEVICE_SECRET_PBKDF2;
  return new Promise((resolve, reject) => {
    pbkdf2(secret, salt, iterations, keyBytes, digest, (err, key) => {
      if (err) reject(err);
      else resolve(key);
    });
  });
}

/** Decodes standard base64 and insists on the canonical encoding (no ignorable bits). */
function strictBase64(text: string, bytes: number): Buffer | undefined {
  const buf = Buffer.from(text, 'base64');
  return buf.length === bytes && buf.toString('base64') === text ? buf : undefined;
}

function malformed(message: string): BrokerError {
  return new BrokerError('EF_HUB_BROKER_SECRET_HASH', message);
}

/**
 * A new device secret: 32 random bytes, base64url (43 characters).
 *
 * @example
 * const secret = generateDeviceSecret(); // 'q8J3...' (43 characters), given to the device once
 */
export function generateDeviceSecret(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Hashes `secret` with PBKDF2-SHA512 and a random 12-byte salt, in Mosquitto's `$7$` format;
 * the string goes unchanged into the store and into Mosquitto's password_file. Throws
 * `EF_HUB_DEVICE_SECRET` for an empty or over-long secret or one containing NUL.
 *
 * @example
 * const secretHash = await hashDeviceSecret(secret); // '$7$101$<16 chars>$<88 chars>'
 */
export async function hashDeviceSecret(secret: string): Promise<string> {
  if (typeof secret !== 'string' || secret.length === 0 || secret.length > MAX_SECRET_CHARS) {
    throw new MosquittoError('EF_HUB_DEVICE_SECRET', 'a device secret must be 1..1024 characters');
  }
  if (secret.includes('\u0000')) {
    // Mosquitto hashes the C string, so it would see a shorter secret than the hub did.
    throw new MosquittoError('EF_HUB_DEVICE_SECRET', 'a device secret must not contain NUL');
  }
  const { iterations, saltBytes } = DEVICE_SECRET_PBKDF2;
  const salt = randomBytes(saltBytes);
  const key = await pbkdf2Async(secret, salt, iterations);
  return `$7$${iterations}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/**
 * True when `hash` is a `$7$` hash that both {@link verifyDeviceSecret} and Mosquitto 2.0 accept
 * (checks the form only; computes nothing).
 *
 * @example
 * isDeviceSecretHash(await hashDeviceSecret(generateDeviceSecret())); // true
 */
export function isDeviceSecretHash(hash: string): boolean {
  const m = typeof hash === 'string' ? HASH_PATTERN.exec(hash) : null;
  return (
    m !== null &&
    Number(m[1]) <= MAX_DEVICE_SECRET_ITERATIONS &&
    strictBase64(m[2] ?? '', DEVICE_SECRET_PBKDF2.saltBytes) !== undefined &&
    strictBase64(m[3] ?? '', DEVICE_SECRET_PBKDF2.keyBytes) !== undefined
  );
}

/**
 * True when `secret` matches `hash` (constant-time comparison of the derived keys). Throws
 * `EF_HUB_BROKER_SECRET_HASH` when `hash` is not a `$7$` hash Mosquitto would accept or its
 * iteration count is above {@link MAX_DEVICE_SECRET_ITERATIONS}.
 *
 * @example
 * if (await verifyDeviceSecret(password, device.secretHash)) accept();
 */
export async function verifyDeviceSecret(secret: string, hash: string): Promise<boolean> {
  const m = typeof hash === 'string' ? HASH_PATTERN.exec(hash) : null;
  if (!m) {
    throw malformed('device secret hash is not $7$<iterations>$<salt>$<hash> (PBKDF2-SHA512)');
  }
  const iterations = Number(m[1]);
  if (iterations > MAX_DEVICE_SECRET_ITERATIONS) {
    throw malformed(
      `device secret hash has ${iterations} iterations, over ${MAX_DEVICE_SECRET_ITERATIONS}`,
    );
  }
  const salt = strictBase64(m[2] ?? '', DEVICE_SECRET_PBKDF2.saltBytes);
  const expected = strictBase64(m[3] ?? '', DEVICE_SECRET_PBKDF2.keyBytes);
  if (!salt || !expected) throw malformed('device secret hash has non-canonical base64');
  if (typeof secret !== 'string' || secret.length === 0 || secret.length > MAX_SECRET_CHARS) {
    return false;
  }
  if (secret.includes('\u0000')) return false;
  const actual = await pbkdf2Async(secret, salt, iterations);
  return timingSafeEqual(actual, expected);
}
