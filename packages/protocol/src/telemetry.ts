/**
 * Telemetry batches on `ef/v1/d/{id}/tel/{stream}`: health, drift, inference summaries, events.
 * Records are loose ([P-MS-2]) so a newer agent's extra fields survive an older hub.
 */
import { z } from 'zod';
import { parseJson } from './parse-json.js';
import {
  BootIdSchema,
  CountSchema,
  DeviceIdSchema,
  ModelNameSchema,
  SemverStringSchema,
  TimestampSchema,
} from './schema-primitives.js';

/** The telemetry streams, each a topic `tel/{stream}`. */
export const TELEMETRY_STREAMS = ['health', 'drift', 'inference', 'events'] as const;
export type TelemetryStream = (typeof TELEMETRY_STREAMS)[number];

/** [P-TL-2] Records per batch, so a batch stays well under the message cap. */
export const MAX_RECORDS_PER_BATCH = 1000;

const NonNegative = z.number().min(0);
const Percentiles = z.looseObject({ p50: NonNegative, p95: NonNegative, p99: NonNegative });

export const HealthRecordSchema = z.looseObject({
  ts: TimestampSchema,
  uptimeS: NonNegative,
  /** CPU use, 0..1 of all cores. */
  cpu: z.number().min(0).max(1),
  memory: z.looseObject({ rss: CountSchema, total: CountSchema, free: CountSchema }),
  disk: z.looseObject({ free: CountSchema, total: CountSchema }),
  outbox: z.looseObject({
    depth: CountSchema,
    bytes: CountSchema,
    dropped: CountSchema,
    expired: CountSchema,
  }),
  models: z
    .array(
      z.looseObject({
        name: ModelNameSchema,
        version: SemverStringSchema,
        requests: CountSchema,
        errors: CountSchema,
        latencyMs: Percentiles,
      }),
    )
    .max(64),
});
export type HealthRecord = z.output<typeof HealthRecordSchema>;

const Counts = z.array(CountSchema).max(1025);

/** Drift window: counts per baseline bin (they merge by addition), optional scores. */
export const DriftRecordSchema = z.looseObject({
  model: ModelNameSchema,
  version: SemverStringSchema,
  windowStart: TimestampSchema,
  windowEnd: TimestampSchema,
  count: CountSchema,
  features: z.array(z.looseObject({ name: z.string().min(1).max(256), counts: Counts })).max(4096),
  output: z.looseObject({ counts: Counts }),
  scores: z
    .array(
      z.looseObject({
        name: z.string().min(1).max(256),
        psi: NonNegative,
        js: NonNegative,
        ks: NonNegative,
      }),
    )
    .max(4096)
    .optional(),
  drifted: z.boolean().optional(),
});
export type DriftRecord = z.output<typeof DriftRecordSchema>;

/** Inference summary over a window. */
export const InferenceRecordSchema = z.looseObject({
  model: ModelNameSchema,
  version: SemverStringSchema,
  windowStart: TimestampSchema,
  windowEnd: TimestampSchema,
  count: CountSchema,
  errors: CountSchema,
  latencyMs: Percentiles,
  /** Output summary: class counts for classification, mean/min/max for regression. */
  outputs: z
    .looseObject({
      counts: Counts.optional(),
      mean: z.number().optional(),
      min: z.number().optional(),
      max: z.number().optional(),
    })
    .optional(),
});
export type InferenceRecord = z.output<typeof InferenceRecordSchema>;

/** A discrete event (install, rollback, drop, error) with a code. */
export const EventRecordSchema = z.looseObject({
  ts: TimestampSchema,
  level: z.enum(['debug', 'info', 'warn', 'error']),
  code: z.string().min(1).max(64),
  message: z.string().max(4096),
  details: z.record(z.string(), z.unknown()).optional(),
});
export type EventRecord = z.output<typeof EventRecordSchema>;

const batch = {
  device: DeviceIdSchema,
  bootId: BootIdSchema,
  // [P-AK-1] the boot's outbox sequence number (shared by all streams and status).
  seq: CountSchema,
  sentAt: TimestampSchema,
};

function records<S extends z.ZodType>(schema: S) {
  return z.array(schema).min(1).max(MAX_RECORDS_PER_BATCH);
}

/** [P-TL-1] A telemetry batch, discriminated by `stream`. */
export const TelemetryBatchSchema = z.discriminatedUnion('stream', [
  z.looseObject({ ...batch, stream: z.literal('health'), records: records(HealthRecordSchema) }),
  z.looseObject({ ...batch, stream: z.literal('drift'), records: records(DriftRecordSchema) }),
  z.looseObject({
    ...batch,
    stream: z.literal('inference'),
    records: records(InferenceRecordSchema),
  }),
  z.looseObject({ ...batch, stream: z.literal('events'), records: records(EventRecordSchema) }),
]);
export type TelemetryBatch = z.output<typeof TelemetryBatchSchema>;

/**
 * Parses a telemetry batch. Throws `EF_PROTO_TOO_LARGE`, `EF_PROTO_JSON` or `EF_PROTO_SCHEMA`.
 *
 * @example
 * const batch = parseTelemetryBatch(payload);
 * if (batch.stream === 'health') batch.records[0]?.cpu;
 */
export function parseTelemetryBatch(input: unknown): TelemetryBatch {
  return parseJson(input, TelemetryBatchSchema, 'telemetry batch');
}
