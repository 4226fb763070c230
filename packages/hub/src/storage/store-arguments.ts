/** Argument checks shared by the SQLite store's methods: bad input is `EF_HUB_STORE_ARGUMENT`. */
import { isDeviceId, isSemver } from '@edgefleet/protocol';
import type { DeviceTags, NewRelease, TelemetryItem } from './hub-store.js';
import { StorageError } from './storage-errors.js';

const TAG_KEY = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$/;
const MAX_TAG_VALUE = 256;
const MAX_TAGS = 64;
export const SHA256 = /^[0-9a-f]{64}$/;
const BOOT_ID = /^[A-Za-z0-9-]{1,64}$/;
const STREAM = /^[A-Za-z0-9._-]{1,64}$/;

export function argument(message: string, details?: Record<string, unknown>): StorageError {
  return new StorageError('EF_HUB_STORE_ARGUMENT', message, details);
}

export function unknownDevice(id: string): StorageError {
  return new StorageError('EF_HUB_STORE_UNKNOWN_DEVICE', `device ${id} is not enrolled`, {
    deviceId: id,
  });
}

export function checkDeviceId(id: unknown): string {
  if (!isDeviceId(id)) {
    const shown = typeof id === 'string' ? JSON.stringify(id.slice(0, 80)) : typeof id;
    throw argument(`device id ${shown} does not match ^[a-z0-9][a-z0-9._-]{0,63}$`);
  }
  return id;
}

export function checkTime(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw argument(`${what} must be a non-negative integer of milliseconds since the epoch`);
  }
  return value;
}

export function checkCount(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw argument(`${what} must be a non-negative safe integer`);
  }
  return value;
}

export function checkTags(tags: unknown): DeviceTags {
  if (typeof tags !== 'object' || tags === null || Array.isArray(tags)) {
    throw argument('tags must be an object of string keys and string values');
  }
  const entries = Object.entries(tags);
  if (entries.length > MAX_TAGS) throw argument(`a device has at most ${MAX_TAGS} tags`);
  const out: DeviceTags = {};
  for (const [key, value] of entries) {
    if (!TAG_KEY.test(key)) {
      throw argument(`tag key ${JSON.stringify(key)} does not match ${TAG_KEY.source}`);
    }
    if (typeof value !== 'string' || value.length > MAX_TAG_VALUE || /[,\p{Cc}]/u.test(value)) {
      throw argument(
        `tag ${key} must be a string of at most ${MAX_TAG_VALUE} characters without commas or control characters`,
      );
    }
    out[key] = value;
  }
  return out;
}

/** Callers pass parsed network input; a null or a non-object must be a coded error, not a TypeError. */
export function checkRecord(value: unknown, what: string): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw argument(`${what} must be an object`);
  }
}

export function checkTelemetry(item: TelemetryItem): void {
  checkRecord(item, 'a telemetry item');
  checkDeviceId(item.deviceId);
  checkBootId(item.bootId);
  checkCount(item.seq, 'seq');
  if (typeof item.stream !== 'string' || !STREAM.test(item.stream)) {
    throw argument(`telemetry stream must match ${STREAM.source}`);
  }
  if (typeof item.payloadJson !== 'string') throw argument('telemetry payload must be JSON text');
  checkTime(item.receivedAt, 'receivedAt');
}

/** A boot id ([A-Za-z0-9-], 1 to 64 characters). */
export function checkBootId(value: unknown): string {
  if (typeof value !== 'string' || !BOOT_ID.test(value)) {
    throw argument(`boot id must match ${BOOT_ID.source}`);
  }
  return value;
}

/** A string of 1 to `max` characters. */
export function checkText(value: unknown, what: string, max: number): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > max) {
    throw argument(`${what} must be a string of 1 to ${max} characters`);
  }
  return value;
}

/** Checks a release and serializes its manifest. */
export function checkRelease(release: NewRelease): {
  name: string;
  version: string;
  sha256: string;
  bytes: number;
  json: string;
  publishedAt: number;
} {
  checkRecord(release, 'the release');
  const { name, version, sha256, bytes, manifest } = release;
  if (typeof name !== 'string' || name.length === 0 || name.length > 128) {
    throw argument('release name must be a string of 1 to 128 characters');
  }
  if (!isSemver(version)) {
    throw argument(`release version ${JSON.stringify(version)} is not SemVer 2.0.0`);
  }
  if (typeof sha256 !== 'string' || !SHA256.test(sha256)) {
    throw argument('release sha256 must be 64 lowercase hex digits');
  }
  checkCount(bytes, 'bytes');
  const publishedAt = checkTime(release.publishedAt, 'publishedAt');
  let json: string | undefined;
  try {
    json = JSON.stringify(manifest);
  } catch (err) {
    throw new StorageError(
      'EF_HUB_STORE_ARGUMENT',
      'release manifest is not JSON-serializable',
      undefined,
      { cause: err },
    );
  }
  if (json === undefined) throw argument('release manifest is not a JSON value');
  return { name, version, sha256, bytes, json, publishedAt };
}
