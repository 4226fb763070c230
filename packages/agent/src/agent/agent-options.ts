/**
 * The agent's options, validated once and frozen (fastify's rule): a typo in a flag or a
 * settings file is one coded error at start, never a surprise hours later on a device.
 */
import { z } from 'zod';
import { DeviceProvisioningSchema, formatPath } from '@edgefleet/protocol';
import type { DeviceProvisioning } from '@edgefleet/protocol';
import { AgentError } from '../errors.js';

const Port = z.number().int().min(0).max(65_535);
const Ms = z.number().int().min(1);

const AgentOptionsSchema = z.strictObject({
  /** The provisioning document (`device.json`). */
  config: DeviceProvisioningSchema,
  /** Where the agent keeps its SQLite file, bundles and downloads. */
  stateDir: z.string().min(1),
  /** Local API on loopback; `false` turns it off (a device with no local apps). */
  api: z
    .union([
      z.literal(false),
      z.strictObject({
        port: Port.default(8787),
        host: z.string().min(1).default('127.0.0.1'),
        socketPath: z.string().min(1).optional(),
      }),
    ])
    .default({ port: 8787, host: '127.0.0.1' }),
  healthIntervalMs: Ms.default(30_000),
  drift: z
    .strictObject({
      windowCount: z.number().int().min(10).default(500),
      windowMs: Ms.default(3_600_000),
    })
    .default({ windowCount: 500, windowMs: 3_600_000 }),
  probation: z
    .strictObject({
      ms: z.number().int().min(0).default(60_000),
      maxErrorRate: z.number().min(0).max(1).default(0.05),
      maxCrashes: z.number().int().min(0).default(2),
    })
    .default({ ms: 60_000, maxErrorRate: 0.05, maxCrashes: 2 }),
  download: z
    .strictObject({
      window: z.number().int().min(1).max(64).default(8),
      blockBytes: z
        .number()
        .int()
        .min(1024)
        .max(1024 * 1024)
        .default(64 * 1024),
      /** Use the hub's HTTP range download when the desired state carries a URL. */
      http: z.boolean().default(false),
    })
    .default({ window: 8, blockBytes: 64 * 1024, http: false }),
  workers: z.number().int().min(1).max(64).optional(),
  /** Scheduled inference jobs (see `jobs/`). */
  jobs: z.array(z.unknown()).default([]),
  logLevel: z
    .union([z.literal(false), z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace'])])
    .default('info'),
});

/** Validated, frozen agent options. */
export type AgentOptions = Readonly<z.output<typeof AgentOptionsSchema>> & {
  readonly config: DeviceProvisioning;
};

/** What a caller passes: everything but `config` and `stateDir` has a default. */
export type AgentOptionsInput = z.input<typeof AgentOptionsSchema>;

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/**
 * Validates agent options and applies defaults. Throws `EF_AGENT_OPTIONS` naming the field.
 *
 * @example
 * const options = resolveAgentOptions({ config, stateDir: '/var/lib/edgefleet' });
 */
export function resolveAgentOptions(input: AgentOptionsInput): AgentOptions {
  const result = AgentOptionsSchema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue ? formatPath(issue.path) : '';
    throw new AgentError(
      'EF_AGENT_OPTIONS',
      `invalid agent option ${where || '(root)'}: ${issue?.message ?? 'invalid'}`,
      { path: where },
    );
  }
  return deepFreeze(result.data) as AgentOptions;
}
