/**
 * Scheduled inference jobs (DESIGN section 8): node-cron triggers each job's runs; a run reads
 * the rows its source gathered since the last run, predicts them in batches through the same
 * path as the local API, and appends one result per row to the sink. Progress is saved after
 * each batch reaches the sink, so a failed prediction, an unwritable sink or a crash never
 * loses rows (a crash may replay the last batch: lines carry the row index).
 */
import cron, { type ScheduledTask } from 'node-cron';
import { EdgefleetError } from '@edgefleet/protocol';
import { CsvSource, DEFAULT_CSV_READ_BYTES } from './csv-source.js';
import { JobError } from './job-errors.js';
import { type JobSink, openSink } from './job-sinks.js';
import type { JobLogger, JobRow, JobSource } from './job-source.js';
import { type JobSpec, parseJobSpecs } from './job-spec.js';
import { JobStateStore } from './job-state.js';
import { DEFAULT_MQTT_BUFFER_ROWS, MqttSource } from './mqtt-source.js';

/** What a job sends to the model: named features, as the local API's `instances`. */
export interface JobPredictRequest {
  instances: Record<string, number | null>[];
}

/** The model's answer: the version that served and one prediction per instance, in order. */
export interface JobPredictResult {
  version: string;
  predictions: readonly unknown[];
}

/**
 * Predicts through the agent's inference path (`LocalModelHost.predict` fits). Rows the model
 * refuses must reject with the runtime's coded input errors (`EF_RUNTIME_INPUT_*`,
 * `EF_RUNTIME_FEATURE_*`) or `EF_AGENT_REQUEST_FEATURES`: the runner then isolates the bad rows
 * and writes an error line for each instead of retrying them forever.
 */
export type JobPredict = (model: string, request: JobPredictRequest) => Promise<JobPredictResult>;

export interface StartJobsOptions {
  /** The agent's state folder; progress goes to `<stateDir>/jobs/<name>.json`. */
  stateDir: string;
  logger: JobLogger;
  /** A model's input feature names (from its manifest), to map CSV headers; undefined = pass every column. */
  features?: (model: string) => readonly string[] | undefined;
  /** Folder relative paths are resolved against (default: the working directory). */
  baseDir?: string;
  /** Rows per prediction request (default 256). */
  batchSize?: number;
  /** Rows per run at most (default 10,000); the rest waits for the next run. */
  maxRowsPerRun?: number;
  /** Bytes of CSV read per batch at most, and so the longest line (default 1 MiB). */
  maxReadBytes?: number;
  /** Rows an MQTT source buffers between runs (default 10,000). */
  maxBufferedRows?: number;
  now?: () => number;
}

/** What one run did. */
export interface JobRunResult {
  job: string;
  /** Rows predicted and written to the sink. */
  predicted: number;
  /** Rows the model refused (written to the sink as error lines). */
  rejected: number;
  /** Lines or messages skipped as malformed (wrong cell count, not a number, not JSON). */
  malformed: number;
}

export interface JobStatus {
  name: string;
  model: string;
  schedule: string;
  runs: number;
  failures: number;
  predicted: number;
  rejected: number;
  malformed: number;
  lastRun: { at: string; error?: { code: string; message: string } } | undefined;
  nextRun: string | undefined;
  source: Record<string, unknown>;
  sink: Record<string, unknown>;
}

export interface JobRunner {
  readonly jobs: readonly JobSpec[];
  /** Runs a job now (after its run in progress, if any). Throws coded errors. */
  runOnce(name: string): Promise<JobRunResult>;
  status(name: string): JobStatus;
  /** Stops the schedules, waits for runs in progress and closes sources and sinks. */
  stop(): Promise<void>;
}

interface Job {
  spec: JobSpec;
  source: JobSource;
  sink: JobSink;
  task: ScheduledTask;
  chain: Promise<unknown>;
  status: JobStatus;
}

/**
 * Validates the jobs (`EF_AGENT_JOB_SPEC`) and schedules them.
 *
 * @example
 * const runner = startJobs(config.jobs, (model, req) => host.predict(model, req), { stateDir, logger });
 * await runner.runOnce('hourly-pm'); // { job: 'hourly-pm', predicted: 120, rejected: 0, malformed: 1 }
 * await runner.stop();
 */
export function startJobs(
  jobs: unknown,
  predict: JobPredict,
  options: StartJobsOptions,
): JobRunner {
  const specs = parseJobSpecs(
    jobs,
    options.baseDir === undefined ? {} : { baseDir: options.baseDir },
  );
  return new Runner(specs, predict, options);
}

class Runner implements JobRunner {
  readonly jobs: readonly JobSpec[];
  readonly #jobs = new Map<string, Job>();
  readonly #predict: JobPredict;
  readonly #options: StartJobsOptions;
  readonly #batchSize: number;
  readonly #maxRows: number;
  readonly #now: () => number;
  #stopped = false;

  constructor(specs: JobSpec[], predict: JobPredict, options: StartJobsOptions) {
    this.jobs = specs;
    this.#predict = predict;
    this.#options = options;
    this.#batchSize = positive(options.batchSize, 256, 'batchSize');
    this.#maxRows = positive(options.maxRowsPerRun, 10_000, 'maxRowsPerRun');
    const readBytes = positive(options.maxReadBytes, DEFAULT_CSV_READ_BYTES, 'maxReadBytes');
    const buffered = positive(options.maxBufferedRows, DEFAULT_MQTT_BUFFER_ROWS, 'maxBufferedRows');
    this.#now = options.now ?? Date.now;
    const store = new JobStateStore(options.stateDir);
    const { logger } = options;
    for (const spec of specs) {
      const source =
        spec.source.kind === 'csv'
          ? new CsvSource(spec.name, spec.source.path, store, logger, readBytes)
          : new MqttSource(spec.name, spec.source, store, logger, buffered);
      const task = cron.createTask(spec.schedule, () => this.#scheduled(spec.name), {
        name: `edgefleet-job-${spec.name}`,
        noOverlap: true,
        logger: cronLogger(logger, spec.name),
      });
      const job: Job = {
        spec,
        source,
        sink: openSink(spec.name, spec.sink, logger),
        task,
        chain: Promise.resolve(),
        status: {
          name: spec.name,
          model: spec.model,
          schedule: spec.schedule,
          runs: 0,
          failures: 0,
          predicted: 0,
          rejected: 0,
          malformed: 0,
          lastRun: undefined,
          nextRun: undefined,
          source: {},
          sink: {},
        },
      };
      this.#jobs.set(spec.name, job);
      void task.start();
    }
  }

  runOnce(name: string): Promise<JobRunResult> {
    const job = this.#jobs.get(name);
    if (job === undefined) {
      return Promise.reject(
        new JobError('EF_AGENT_JOB_UNKNOWN', `no job is named ${name}`, { name }),
      );
    }
    if (this.#stopped) {
      return Promise.reject(
        new JobError('EF_AGENT_JOB_STOPPED', `the job runner is stopped`, { name }),
      );
    }
    const run = job.chain.then(() => this.#run(job));
    job.chain = run.catch(() => undefined);
    return run;
  }

  status(name: string): JobStatus {
    const job = this.#jobs.get(name);
    if (job === undefined)
      throw new JobError('EF_AGENT_JOB_UNKNOWN', `no job is named ${name}`, { name });
    const next = job.task.getNextRun();
    return {
      ...job.status,
      nextRun: next?.toISOString(),
      source: job.source.status(),
      sink: job.sink.status(),
    };
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    const jobs = [...this.#jobs.values()];
    await Promise.all(jobs.map((j) => j.task.destroy()));
    await Promise.all(jobs.map((j) => j.chain));
    await Promise.all(jobs.flatMap((j) => [j.source.close(), j.sink.close()]));
  }

  /** A cron-triggered run: failures are logged, never thrown into node-cron. */
  async #scheduled(name: string): Promise<void> {
    if (this.#stopped) return;
    try {
      const result = await this.runOnce(name);
      if (result.predicted + result.rejected + result.malformed > 0) {
        this.#options.logger.info({ ...result }, 'job run done');
      }
    } catch (err) {
      const e = err as EdgefleetError;
      this.#options.logger.warn(
        { job: name, code: e.code, err: e.message },
        'job run failed; the next run retries',
      );
    }
  }

  async #run(job: Job): Promise<JobRunResult> {
    const result: JobRunResult = { job: job.spec.name, predicted: 0, rejected: 0, malformed: 0 };
    job.status.runs++;
    job.status.lastRun = { at: new Date(this.#now()).toISOString() };
    try {
      const features = this.#options.features?.(job.spec.model);
      let taken = 0;
      while (taken < this.#maxRows && !this.#stopped) {
        const batch = await job.source.take(
          Math.min(this.#batchSize, this.#maxRows - taken),
          features,
        );
        taken += batch.rows.length;
        let lines: Record<string, unknown>[] = [];
        let failure: unknown;
        try {
          lines = await this.#predictRows(job.spec, batch.rows);
          await job.sink.write(lines);
        } catch (err) {
          failure = err;
        }
        const { malformed } = batch.commit(failure === undefined ? batch.rows.length : 0);
        result.malformed += malformed;
        if (failure !== undefined) throw failure;
        const rejected = lines.filter((l) => 'error' in l).length;
        result.rejected += rejected;
        result.predicted += lines.length - rejected;
        if (batch.rows.length === 0 && malformed === 0) break;
      }
    } catch (err) {
      job.status.failures++;
      const e = asJobError(err, job.spec.name);
      job.status.lastRun.error = { code: e.code, message: e.message };
      throw e;
    } finally {
      job.status.predicted += result.predicted;
      job.status.rejected += result.rejected;
      job.status.malformed += result.malformed;
    }
    return result;
  }

  /** One sink line per row; a batch the model refuses is retried row by row to isolate bad rows. */
  async #predictRows(spec: JobSpec, rows: JobRow[]): Promise<Record<string, unknown>[]> {
    if (rows.length === 0) return [];
    const ts = new Date(this.#now()).toISOString();
    const base = { ts, job: spec.name, model: spec.model };
    let out: JobPredictResult;
    try {
      out = await this.#predict(spec.model, { instances: rows.map((r) => r.values) });
    } catch (err) {
      if (!isInputError(err))
        throw predictError(spec.name, 'the model could not predict the rows', err);
      if (rows.length > 1) {
        const lines: Record<string, unknown>[] = [];
        for (const row of rows) lines.push(...(await this.#predictRows(spec, [row])));
        return lines;
      }
      const e = err as EdgefleetError;
      return [{ ...base, row: rows[0]?.index, error: { code: e.code, message: e.message } }];
    }
    if (
      out === null ||
      typeof out !== 'object' ||
      typeof out.version !== 'string' ||
      !Array.isArray(out.predictions) ||
      out.predictions.length !== rows.length
    ) {
      throw predictError(
        spec.name,
        `the model did not return one prediction per row (${rows.length})`,
      );
    }
    return rows.map((r, i) => ({
      ...base,
      version: out.version,
      row: r.index,
      prediction: out.predictions[i],
    }));
  }
}

/**
 * Codes for rows a model refuses (a bad row, not a broken model): the runtime's input checks
 * and the local model host's "features missing without an impute value".
 */
function isInputError(err: unknown): boolean {
  return (
    err instanceof EdgefleetError &&
    (/^EF_RUNTIME_(INPUT|FEATURE)_/.test(err.code) || err.code === 'EF_AGENT_REQUEST_FEATURES')
  );
}

function predictError(job: string, message: string, cause?: unknown): JobError {
  const code = cause instanceof EdgefleetError ? cause.code : undefined;
  return new JobError(
    'EF_AGENT_JOB_PREDICT',
    `job ${job}: ${message}`,
    { job, ...(code ? { cause: code } : {}) },
    {
      cause,
    },
  );
}

function asJobError(err: unknown, job: string): JobError {
  if (err instanceof JobError) return err;
  return predictError(job, err instanceof Error ? err.message : String(err), err);
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new JobError('EF_AGENT_JOB_SPEC', `${name} must be a positive integer`, {
      [name]: value,
    });
  }
  return value;
}

/** node-cron's logger interface onto the agent's structured logger. */
function cronLogger(logger: JobLogger, job: string) {
  return {
    info: (message: string) => logger.info({ job }, message),
    warn: (message: string) => logger.warn({ job }, message),
    error: (message: string | Error) => logger.error({ job }, String(message)),
    debug: () => undefined,
  };
}
