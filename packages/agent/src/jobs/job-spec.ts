/**
 * Scheduled inference jobs as configured (DESIGN section 8: "periodic inference on a local
 * source"): a cron schedule, a model, a source (a CSV file that grows, or a local MQTT topic)
 * and a sink (a JSON Lines file, or an MQTT topic).
 */
import { isAbsolute, resolve } from 'node:path';
import cron from 'node-cron';
import { z } from 'zod';
import { ModelNameSchema } from '@edgefleet/protocol';
import { JobError } from './job-errors.js';

const PathSchema = z
  .string()
  .min(1)
  .max(4096)
  .refine((p) => !p.includes('\u0000'), 'path contains a NUL byte');

const MQTT_PROTOCOLS = new Set(['mqtt:', 'mqtts:', 'tcp:', 'tls:', 'ws:', 'wss:']);

const MqttUrlSchema = z
  .string()
  .max(2048)
  .refine((u) => URL.canParse(u) && MQTT_PROTOCOLS.has(new URL(u).protocol), {
    message: 'expected an MQTT URL such as mqtt://127.0.0.1:1883',
  });

/** MQTT filter rules: `+` fills a whole level, `#` a whole last level. */
function isTopicFilter(topic: string): boolean {
  const levels = topic.split('/');
  return levels.every(
    (level, i) =>
      level === '+' ||
      (level === '#' && i === levels.length - 1) ||
      (!level.includes('+') && !level.includes('#')),
  );
}

const TopicSchema = z
  .string()
  .min(1)
  .max(1024)
  .refine((t) => !t.includes('\u0000'), 'topic contains a NUL byte');

/** [jobs] One job. `name` is also the file name of its saved state, so it is a slug. */
export const JobSpecSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'expected a lowercase name like "hourly-pm"'),
  schedule: z
    .string()
    .max(256)
    .refine((s) => cron.validate(s), {
      message: 'not a cron expression (5 or 6 fields, e.g. "*/5 * * * *")',
    }),
  model: ModelNameSchema,
  source: z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('csv'), path: PathSchema }),
    z.strictObject({
      kind: z.literal('mqtt'),
      url: MqttUrlSchema,
      topic: TopicSchema.refine(isTopicFilter, 'not a valid MQTT topic filter'),
    }),
  ]),
  sink: z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('jsonl'), path: PathSchema }),
    z.strictObject({
      kind: z.literal('mqtt'),
      url: MqttUrlSchema,
      topic: TopicSchema.refine((t) => !/[+#]/.test(t), 'a sink topic cannot hold + or #'),
    }),
  ]),
});
export type JobSpec = z.output<typeof JobSpecSchema>;

/**
 * Validates job definitions: each against {@link JobSpecSchema}, names unique, and a JSONL sink
 * never the job's own CSV source. Relative paths are resolved against `baseDir`. Throws
 * `EF_AGENT_JOB_SPEC` naming every problem.
 *
 * @example
 * const jobs = parseJobSpecs(config.jobs, { baseDir: dirname(configPath) });
 */
export function parseJobSpecs(input: unknown, options: { baseDir?: string } = {}): JobSpec[] {
  const parsed = z.array(JobSpecSchema).max(256).safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${['jobs', ...i.path].join('.')}: ${i.message}`);
    throw new JobError('EF_AGENT_JOB_SPEC', `invalid job definitions: ${issues.join('; ')}`, {
      issues,
    });
  }
  const baseDir = options.baseDir ?? process.cwd();
  const at = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  const seen = new Set<string>();
  return parsed.data.map((job) => {
    if (seen.has(job.name)) {
      throw new JobError('EF_AGENT_JOB_SPEC', `two jobs are named ${job.name}`, { name: job.name });
    }
    seen.add(job.name);
    const source =
      job.source.kind === 'csv' ? { ...job.source, path: at(job.source.path) } : job.source;
    const sink = job.sink.kind === 'jsonl' ? { ...job.sink, path: at(job.sink.path) } : job.sink;
    if (source.kind === 'csv' && sink.kind === 'jsonl' && source.path === sink.path) {
      throw new JobError('EF_AGENT_JOB_SPEC', `job ${job.name} writes into its own source file`, {
        name: job.name,
        path: source.path,
      });
    }
    return { ...job, source, sink };
  });
}
