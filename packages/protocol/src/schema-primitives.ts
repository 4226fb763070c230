/**
 * Field schemas shared by the message schemas, so that "a sha256" or "a timestamp" means the
 * same thing in every document.
 */
import { z } from 'zod';
import { decodeBase64Strict } from './encoding.js';
import { isSemver } from './semver.js';

/** Lowercase hex sha256 (64 chars). Lowercase only, so one digest has one spelling. */
export const Sha256HexSchema = z.string().regex(/^[0-9a-f]{64}$/, 'expected lowercase hex sha256');

/** A key id: lowercase hex sha256 of the raw 32-byte Ed25519 public key. [P-SG-2] */
export const KeyIdSchema = Sha256HexSchema;

/**
 * An ISO 8601 UTC timestamp (`2025-01-31T12:00:00.000Z`); offsets are refused so that string
 * comparison and Date.parse agree.
 */
export const TimestampSchema = z.iso
  .datetime({ message: 'expected an ISO 8601 UTC timestamp like 2025-01-31T12:00:00Z' })
  .refine((s) => Number.isFinite(Date.parse(s)), 'timestamp is not a real date');

/** [P-TP-2] device id: also the MQTT username, so no '/', '+', '#' and a bounded length. */
export const DEVICE_ID_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;
export const DeviceIdSchema = z
  .string()
  .regex(DEVICE_ID_PATTERN, 'expected a device id matching ^[a-z0-9][a-z0-9._-]{0,63}$');

/** A model name: lowercase slug, 1..64 chars, no leading/trailing/double '-'. */
export const MODEL_NAME_PATTERN = /^[a-z0-9]+(?:[-_][a-z0-9]+)*$/;
export const ModelNameSchema = z
  .string()
  .max(64)
  .regex(MODEL_NAME_PATTERN, 'expected a lowercase slug like "pump-anomaly"');

/** A SemVer 2.0.0 version string. */
export const SemverStringSchema = z
  .string()
  .max(256)
  .refine((s) => isSemver(s), 'expected a SemVer 2.0.0 version like 1.2.3');

/** A boot id: random per agent start (a UUID in practice). */
export const BootIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9-]{8,64}$/, 'expected a boot id (8-64 chars of [A-Za-z0-9-])');

/** Non-negative safe integer (zod 4 `int()` already refuses unsafe integers). */
export const CountSchema = z.number().int().min(0);
export const PositiveIntSchema = z.number().int().min(1);

/** Short free-text identifiers (request ids, rollout ids, execution ids). */
export const IdentifierSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[\x21-\x7e]+$/, 'expected printable ASCII without spaces');

/** Canonical base64 of exactly `bytes` bytes. */
export function base64BytesSchema(bytes: number) {
  return z
    .string()
    .max(4 * Math.ceil(bytes / 3))
    .refine(
      (s) => decodeBase64Strict(s)?.length === bytes,
      `expected canonical base64 of ${bytes} bytes`,
    );
}

/** An Ed25519 raw public key (32 bytes) in canonical base64. */
export const PublicKeyBase64Schema = base64BytesSchema(32);

/** `{ code, message }` as carried by status and blob error fields. */
export const ErrorInfoSchema = z.looseObject({
  code: z.string().min(1).max(64),
  message: z.string().max(2048),
});
