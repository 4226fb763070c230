/**
 * Deployment status: what a device reports on `ef/v1/d/{id}/status` as it converges.
 */
import { z } from 'zod';
import { DEVICE_DEPLOYMENT_STATES } from './deployment-states.js';
import { parseJson } from './parse-json.js';
import {
  BootIdSchema,
  CountSchema,
  DeviceIdSchema,
  ErrorInfoSchema,
  IdentifierSchema,
  ModelNameSchema,
  PositiveIntSchema,
  SemverStringSchema,
  Sha256HexSchema,
  TimestampSchema,
} from './schema-primitives.js';

/**
 * [P-ST-1] A deployment status report. Loose ([P-MS-2]): a newer agent's extra fields reach an
 * older hub instead of getting the report refused and retried forever. `seq` is the boot's
 * outbox sequence, shared with telemetry, and acked the same way ([P-AK-1]).
 */
export const DeploymentStatusSchema = z
  .looseObject({
    device: DeviceIdSchema,
    bootId: BootIdSchema,
    seq: CountSchema,
    ts: TimestampSchema,
    desiredVersion: PositiveIntSchema,
    executionId: IdentifierSchema,
    model: ModelNameSchema,
    version: SemverStringSchema,
    sha256: Sha256HexSchema,
    state: z.enum(DEVICE_DEPLOYMENT_STATES),
    progress: z.looseObject({ bytes: CountSchema, total: CountSchema }).optional(),
    error: ErrorInfoSchema.optional(),
  })
  .refine((s) => !s.progress || s.progress.bytes <= s.progress.total, {
    message: 'progress.bytes is above progress.total',
    path: ['progress', 'bytes'],
  });
export type DeploymentStatus = z.output<typeof DeploymentStatusSchema>;

/**
 * Parses a status message. Throws `EF_PROTO_TOO_LARGE`, `EF_PROTO_JSON` or `EF_PROTO_SCHEMA`.
 *
 * @example
 * const status = parseStatus(payload);
 */
export function parseStatus(input: unknown): DeploymentStatus {
  return parseJson(input, DeploymentStatusSchema, 'status');
}
