/**
 * Records as the outbox stores them (their JSON text) and the messages built from them. A
 * record is checked against its stream's schema when it is appended, not when it is sent: a
 * record the hub would refuse would otherwise block its stream, resent forever.
 */
import {
  DEFAULT_MAX_MESSAGE_BYTES,
  DeploymentStatusSchema,
  DriftRecordSchema,
  EventRecordSchema,
  HealthRecordSchema,
  InferenceRecordSchema,
  formatPath,
} from '@edgefleet/protocol';
import type { TelemetryStream } from '@edgefleet/protocol';
import type { z } from 'zod';
import type { OutboxStream } from './outbox-api.js';
import { OutboxError } from './outbox-errors.js';
import { isOutboxStream } from './outbox-streams.js';

/** Room left in a message for the batch envelope (device, boot id, seq, stream, sentAt). */
export const ENVELOPE_ALLOWANCE_BYTES = 1024;
/** The largest record: one alone in a batch must fit the 256 KiB message cap ([P-MS-1]). */
export const MAX_RECORD_BYTES = DEFAULT_MAX_MESSAGE_BYTES - ENVELOPE_ALLOWANCE_BYTES;

const TELEMETRY_SCHEMAS: Readonly<Record<TelemetryStream, z.ZodType>> = {
  health: HealthRecordSchema,
  drift: DriftRecordSchema,
  inference: InferenceRecordSchema,
  events: EventRecordSchema,
};

/** Fields of a status the outbox fills in itself when the status is sent ([P-AK-1]). */
const STATUS_OWN_FIELDS = ['device', 'bootId', 'seq'];

/** What serializing needs to know besides the record. */
export interface RecordContext {
  readonly deviceId: string;
  readonly bootId: string;
  readonly nowMs: number;
}

/** A record ready to insert. */
export interface SerializedRecord {
  readonly body: string;
  readonly bytes: number;
}

function schemaError(stream: string, error: z.ZodError): OutboxError {
  const issue = error.issues[0];
  const where = issue ? formatPath(issue.path) : '$';
  return new OutboxError(
    'EF_AGENT_OUTBOX_RECORD',
    `${stream} record: ${where}: ${issue?.message ?? 'invalid'}`,
    { stream, path: where },
  );
}

/**
 * Checks a record against its stream and returns its stored JSON. Status records lose any
 * `device`, `bootId` and `seq` they carry and get `ts` = now when they have none. Throws
 * `EF_AGENT_OUTBOX_ARGUMENT` (unknown stream, not an object) or `EF_AGENT_OUTBOX_RECORD`.
 *
 * @example
 * serializeRecord('events', { ts, level: 'info', code: 'EF_X', message: 'm' }, ctx).bytes;
 */
export function serializeRecord(
  stream: OutboxStream,
  record: Record<string, unknown>,
  ctx: RecordContext,
): SerializedRecord {
  if (!isOutboxStream(stream)) {
    throw new OutboxError(
      'EF_AGENT_OUTBOX_ARGUMENT',
      `unknown outbox stream ${JSON.stringify(String(stream))}`,
    );
  }
  if (typeof record !== 'object' || record === null || Array.isArray(record)) {
    throw new OutboxError('EF_AGENT_OUTBOX_ARGUMENT', `${stream} record is not an object`);
  }
  let value: Record<string, unknown> = record;
  if (stream === 'status') {
    value = { ...record, ts: record.ts ?? new Date(ctx.nowMs).toISOString() };
    for (const key of STATUS_OWN_FIELDS) delete value[key];
    const parsed = DeploymentStatusSchema.safeParse({
      ...value,
      device: ctx.deviceId,
      bootId: ctx.bootId,
      seq: 0,
    });
    if (!parsed.success) throw schemaError(stream, parsed.error);
  } else {
    const parsed = TELEMETRY_SCHEMAS[stream].safeParse(record);
    if (!parsed.success) throw schemaError(stream, parsed.error);
  }
  let body: string;
  try {
    body = JSON.stringify(value);
  } catch (err) {
    throw new OutboxError(
      'EF_AGENT_OUTBOX_RECORD',
      `${stream} record is not serializable: ${err instanceof Error ? err.message : String(err)}`,
      { stream },
    );
  }
  // [P-MS-3] the hub refuses a whole message with a __proto__ key anywhere in it.
  if (body.includes('"__proto__":')) {
    throw new OutboxError('EF_AGENT_OUTBOX_RECORD', `${stream} record has a __proto__ key`, {
      stream,
    });
  }
  const bytes = Buffer.byteLength(body);
  if (bytes > MAX_RECORD_BYTES) {
    throw new OutboxError(
      'EF_AGENT_OUTBOX_RECORD',
      `${stream} record of ${bytes} bytes is over the ${MAX_RECORD_BYTES}-byte limit of one message`,
      { stream, bytes },
    );
  }
  return { body, bytes };
}

/**
 * A telemetry batch message ([P-TL-1]) from stored record JSON, without parsing it again.
 *
 * @example
 * telemetryPayload('press-07', bootId, 12, 'health', new Date().toISOString(), [body]);
 */
export function telemetryPayload(
  deviceId: string,
  bootId: string,
  seq: number,
  stream: TelemetryStream,
  sentAt: string,
  bodies: readonly string[],
): string {
  const head = JSON.stringify({ device: deviceId, bootId, seq, stream, sentAt });
  return `${head.slice(0, -1)},"records":[${bodies.join(',')}]}`;
}

/**
 * A status message ([P-ST-1]) from the stored status JSON.
 *
 * @example
 * statusPayload('press-07', bootId, 13, body);
 */
export function statusPayload(deviceId: string, bootId: string, seq: number, body: string): string {
  const status = JSON.parse(body) as Record<string, unknown>;
  return JSON.stringify({ ...status, device: deviceId, bootId, seq });
}
