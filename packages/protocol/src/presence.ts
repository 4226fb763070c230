/**
 * Presence: a device's birth (online) and death (its MQTT will) messages, and the hub's state.
 */
import { z } from 'zod';
import { parseJson } from './parse-json.js';
import {
  BootIdSchema,
  DeviceIdSchema,
  ModelNameSchema,
  SemverStringSchema,
  Sha256HexSchema,
  TimestampSchema,
} from './schema-primitives.js';
import { ARCHITECTURES } from './manifest-sections.js';

/** [P-PR-1] Published on `birth` when the agent connects. */
export const BirthSchema = z.looseObject({
  device: DeviceIdSchema,
  bootId: BootIdSchema,
  ts: TimestampSchema,
  agentVersion: z.string().min(1).max(64),
  arch: z.enum(ARCHITECTURES),
  platform: z.string().min(1).max(64),
  hardware: z.record(z.string().max(64), z.union([z.string().max(256), z.number()])).optional(),
  models: z
    .array(
      z.looseObject({
        name: ModelNameSchema,
        version: SemverStringSchema,
        sha256: Sha256HexSchema,
      }),
    )
    .max(64),
});
export type Birth = z.output<typeof BirthSchema>;

/** [P-PR-2] Published on `death` (as the MQTT will, or on a clean shutdown). */
export const DeathSchema = z.looseObject({
  device: DeviceIdSchema,
  bootId: BootIdSchema.optional(),
  ts: TimestampSchema,
  reason: z.string().min(1).max(256),
});
export type Death = z.output<typeof DeathSchema>;

/** [P-PR-3] Retained on `ef/v1/hub/state`; the hub's will sets it offline. */
export const HubStateSchema = z.looseObject({
  state: z.enum(['online', 'offline']),
  ts: TimestampSchema,
  hubVersion: z.string().min(1).max(64).optional(),
});
export type HubState = z.output<typeof HubStateSchema>;

/**
 * Parses a birth message.
 *
 * @example
 * const birth = parseBirth(payload);
 */
export function parseBirth(input: unknown): Birth {
  return parseJson(input, BirthSchema, 'birth');
}

/**
 * Parses a death message.
 *
 * @example
 * const death = parseDeath(payload);
 */
export function parseDeath(input: unknown): Death {
  return parseJson(input, DeathSchema, 'death');
}

/**
 * Parses the hub state message.
 *
 * @example
 * parseHubState('{"state":"online","ts":"2025-01-01T00:00:00Z"}').state; // 'online'
 */
export function parseHubState(input: unknown): HubState {
  return parseJson(input, HubStateSchema, 'hub state');
}
