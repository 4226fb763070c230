/**
 * The HTTP API's JSON shapes as zod schemas: request bodies and queries are validated with them,
 * and `/openapi.json` is generated from the same objects (`z.toJSONSchema`), so the document and
 * the checks cannot drift apart. Response schemas mirror the views of `api/hub-api.ts`.
 */
import { z } from 'zod';
import {
  DeviceIdSchema,
  DeviceProvisioningSchema,
  ManifestSchema,
  ModelNameSchema,
  SemverStringSchema,
  Sha256HexSchema,
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

export const ErrorBodySchema = z.object({
  error: z.object({
    code: z.string().meta({ description: 'Stable EF_* code; docs/errors.md lists them.' }),
    message: z.string(),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
});

export const HealthzSchema = z.object({ ok: z.literal(true) });
