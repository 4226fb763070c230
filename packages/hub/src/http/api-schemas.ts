/**
 * The HTTP API's JSON shapes as zod schemas: request bodies and queries are validated with them,
 * and `/openapi.json` is generated from the same objects (`z.toJSONSchema`), so the document and
 * the checks cannot drift apart. Response schemas mirror the views of `api/hub-api.ts`.
 */
import { z } from 'zod';
import {
  DEVICE_DEPLOYMENT_STATES,
  DeviceIdSchema,
  DeviceProvisioningSchema,
  ManifestSchema,
  ModelNameSchema,
  ROLLOUT_STATES,
  SemverStringSchema,
  Sha256HexSchema,
  WAVE_STATES,
} from '@edgefleet/protocol';

/** Tag keys and values as the store accepts them (it re-checks the finer rules). */
const TagKeySchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$/, 'expected a tag key like "site" or "hw"');
const TagValueSchema = z.string().max(256);
export const TagsSchema = z
  .record(TagKeySchema, TagValueSchema)
  .refine((t) => Object.keys(t).length <= 64, 'a device has at most 64 tags')
  .meta({ description: 'Device tags, e.g. {"site": "plant-a", "hw": "rpi5"}.' });

// ---- requests -------------------------------------------------------------------------------

export const EnrollDeviceBodySchema = z.strictObject({
  id: DeviceIdSchema,
  tags: TagsSchema.default({}),
});

export const TagDeviceBodySchema = z.strictObject({
  tags: TagsSchema.meta({
    description: 'Tags merged into the device tags; an empty value removes the key.',
  }),
});

export const DeployBodySchema = z.strictObject({
  name: ModelNameSchema,
  version: SemverStringSchema,
  deviceId: DeviceIdSchema,
  allowDowngrade: z.boolean().optional().meta({
    description:
      'Let the device install a version below the one it runs; by default the hub allows it when the version is below the one currently desired (an explicit rollback).',
  }),
});

// Rollout values are checked by the engine, which names what is wrong with its own
// EF_HUB_ROLLOUT_* code; the schema only fixes their JSON types and sizes.
const TextOrNumber = z.union([z.string().max(64), z.number()]);

export const CreateRolloutBodySchema = z.strictObject({
  release: z.string().max(200).meta({ description: 'name@version of a published release.' }),
  selector: z.union([z.string().max(4096), TagsSchema]).meta({
    description: 'Tags every selected device carries: "site=plant-a,hw=rpi5", "*" for all.',
  }),
  waves: z
    .union([
      z.string().max(1_000_000),
      z.array(z.number()).max(100),
      z.array(z.array(DeviceIdSchema).max(100_000)).max(100),
    ])
    .meta({
      description:
        'Percentages ascending to 100 ("1,10,50,100" or [1,10,50,100]) or cohorts of device ids ("a,b;c" or [["a","b"],["c"]]).',
    }),
  soak: TextOrNumber.meta({
    description: 'How long each wave must hold, gates green, before the next: "10m" or ms.',
  }),
  maxFailures: TextOrNumber.optional().meta({
    description:
      'A wave fails above this share of failed, rolled-back or timed-out devices ("5%").',
  }),
  minSuccess: TextOrNumber.optional().meta({
    description: 'A wave passes only at this share of installed or healthy devices ("95%").',
  }),
  minReported: TextOrNumber.optional().meta({
    description: 'Reports needed before a wave is judged (default 3).',
  }),
  gates: z.array(z.string().max(64)).max(16).optional().meta({
    description:
      'Health gates over the soak window: "error-rate<1%", "p95-latency<1.2x", "p95-latency<250ms", "drift<0.25", "drift-score<0.5".',
  }),
  rate: TextOrNumber.optional().meta({
    description: 'Notification rate limit: "100/min", "5/s", or a number per minute.',
  }),
  onFailure: z.enum(['pause', 'rollback']).optional().meta({
    description: 'A failed wave pauses the rollout (default) or rolls back every touched device.',
  }),
  deviceTimeout: TextOrNumber.optional().meta({
    description: 'A notified device without a final state after this is timed out ("30m").',
  }),
});

export const RolloutEventsQuerySchema = z.strictObject({
  after: z
    .string()
    .regex(/^\d{1,15}$/, 'expected an event id')
    .optional()
    .meta({ description: 'Only events with a higher id (the last id seen).' }),
});

export const ListReleasesQuerySchema = z.strictObject({ name: ModelNameSchema.optional() });

/** `k=v,k2=v2`: every pair must match (an AND of equalities). */
export const SelectorTextSchema = z
  .string()
  .max(4096)
  .regex(/^[^=,]+=[^,]*(,[^=,]+=[^,]*)*$/, 'expected a selector like site=plant-a,hw=rpi5');
export const ListDevicesQuerySchema = z.strictObject({ selector: SelectorTextSchema.optional() });

export const EmptyQuerySchema = z.strictObject({});

/**
 * Parses a checked selector text into tags.
 *
 * @example
 * parseSelector('site=plant-a,hw=rpi5'); // { site: 'plant-a', hw: 'rpi5' }
 */
export function parseSelector(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of text.split(',')) {
    const eq = pair.indexOf('=');
    out[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return out;
}

// ---- path parameters ------------------------------------------------------------------------

export const ReleaseNameParamSchema = ModelNameSchema;
export const ReleaseVersionParamSchema = SemverStringSchema;
export const DeviceIdParamSchema = DeviceIdSchema;
export const BlobDigestParamSchema = Sha256HexSchema;
export const RolloutIdParamSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'expected a rollout id like ro-7k2m9qwx3a');

// ---- responses ------------------------------------------------------------------------------

const IsoTime = z.string().meta({ description: 'ISO 8601 UTC timestamp.' });

export const ReleaseViewSchema = z.object({
  name: ModelNameSchema,
  version: SemverStringSchema,
  sha256: Sha256HexSchema.meta({ description: 'sha256 of the .efb file; its blob address.' }),
  bytes: z.number().int().min(0),
  publishedAt: IsoTime,
  manifest: ManifestSchema,
});

const DeviceModelSchema = z.object({
  name: z.string(),
  version: z.string(),
  sha256: z.string(),
});

export const DeviceViewSchema = z.object({
  id: DeviceIdSchema,
  tags: z.record(z.string(), z.string()),
  createdAt: IsoTime,
  revokedAt: IsoTime.nullable(),
  lastSeenAt: IsoTime.nullable(),
  online: z.boolean(),
  models: z.array(DeviceModelSchema),
  desired: z
    .object({ version: z.number().int(), expires: IsoTime, models: z.array(DeviceModelSchema) })
    .nullable(),
  deployments: z.array(
    z.object({
      model: z.string(),
      version: z.string(),
      state: z.string(),
      errorCode: z.string().optional(),
      ts: IsoTime,
    }),
  ),
  health: z.unknown().meta({ description: 'Latest health record as the device sent it, or null.' }),
  drift: z.array(z.unknown()).meta({ description: 'Latest drift record per model, as sent.' }),
});

export const EnrollResultSchema = z.object({
  device: DeviceViewSchema,
  provisioning: DeviceProvisioningSchema.meta({
    description: 'The device.json document; the only copy of the device secret.',
  }),
});

export const DeploymentViewSchema = z.object({
  deviceId: DeviceIdSchema,
  name: ModelNameSchema,
  version: SemverStringSchema,
  sha256: Sha256HexSchema,
  desiredVersion: z.number().int().min(1),
  expires: IsoTime,
});

const Share = z.number().min(0).max(1);
const Reason = z.object({ code: z.string(), message: z.string() }).nullable();
const StateCounts = z
  .record(z.enum(DEVICE_DEPLOYMENT_STATES), z.number().int().min(0))
  .meta({ description: 'Devices per deployment state.' });

export const RolloutViewSchema = z.object({
  id: z.string(),
  state: z.enum(ROLLOUT_STATES),
  options: z.object({
    release: z.object({ name: ModelNameSchema, version: SemverStringSchema }),
    selector: z.record(z.string(), z.string()),
    waves: z.union([z.array(z.number()), z.array(z.array(z.string()))]),
    soakMs: z.number().int().min(0),
    maxFailures: Share,
    minSuccess: Share,
    minReported: z.number().int().min(1),
    gates: z.array(z.string()),
    ratePerMinute: z.number().positive(),
    onFailure: z.enum(['pause', 'rollback']),
    deviceTimeoutMs: z.number().int().positive(),
  }),
  currentWave: z.number().int().min(0),
  reason: Reason,
  createdAt: IsoTime,
  updatedAt: IsoTime,
  startedAt: IsoTime.nullable(),
  finishedAt: IsoTime.nullable(),
});

const RolloutGateViewSchema = z.object({
  gate: z.string(),
  unit: z.enum(['share', 'ratio', 'ms']),
  value: z.number().nullable(),
  limit: z.number(),
  status: z.enum(['pass', 'fail', 'no-data', 'not-evaluated']),
  devices: z.number().int().min(0),
  evaluatedAt: IsoTime.nullable(),
});

const RolloutWaveViewSchema = z.object({
  index: z.number().int().min(0),
  state: z.enum(WAVE_STATES),
  size: z.number().int().min(0),
  percent: z.number().nullable(),
  startedAt: IsoTime.nullable(),
  soakStartedAt: IsoTime.nullable(),
  finishedAt: IsoTime.nullable(),
  reason: Reason,
  counts: StateCounts,
  metrics: z.object({
    size: z.number().int(),
    reported: z.number().int(),
    needed: z.number().int(),
    successes: z.number().int(),
    failures: z.number().int(),
    successShare: Share,
    failureShare: Share,
    ended: z.boolean(),
  }),
  soakRemainingMs: z.number().min(0).nullable(),
  gates: z.array(RolloutGateViewSchema),
});

export const RolloutProgressViewSchema = z.object({
  rollout: RolloutViewSchema,
  now: IsoTime,
  devices: z.object({
    total: z.number().int().min(0),
    notified: z.number().int().min(0),
    counts: StateCounts,
  }),
  waves: z.array(RolloutWaveViewSchema),
  rollback: z
    .object({
      requested: z.number().int(),
      assigned: z.number().int(),
      done: z.number().int(),
      failed: z.number().int(),
    })
    .nullable(),
});

export const RolloutEventViewSchema = z.object({
  id: z.number().int().min(1),
  rolloutId: z.string(),
  ts: IsoTime,
  type: z.string(),
  wave: z.number().int().nullable(),
  deviceId: z.string().nullable(),
  data: z.record(z.string(), z.unknown()),
});

export const ErrorBodySchema = z.object({
  error: z.object({
    code: z.string().meta({ description: 'Stable EF_* code; docs/errors.md lists them.' }),
    message: z.string(),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
});

export const HealthzSchema = z.object({ ok: z.literal(true) });
