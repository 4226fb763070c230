/**
 * Where a job's results go: a JSON Lines file (one line per row, appended) or a local MQTT
 * topic (one QoS 1 message per row). A write resolves only once every line is stored (file) or
 * acknowledged (broker); it rejects with `EF_AGENT_JOB_SINK` otherwise, and the runner then
 * leaves the rows unconsumed.
 */
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { MqttClient } from 'mqtt';
import { JobError } from './job-errors.js';
import type { JobSpec } from './job-spec.js';
import type { JobLogger } from './job-source.js';
import { connectLocalMqtt } from './local-mqtt.js';

/** How long an MQTT sink waits for the broker's acknowledgements of one batch. */
export const MQTT_SINK_TIMEOUT_MS = 10_000;

export interface JobSink {
  write(lines: readonly Record<string, unknown>[]): Promise<void>;
  /** Figures for status (path, or topic and connection). */
  status(): Record<string, unknown>;
  close(): Promise<void>;
}

/**
 * Opens the sink a job names.
 *
 * @example
 * const sink = openSink('hourly-pm', { kind: 'jsonl', path: '/var/lib/ef/pm.jsonl' }, logger);
 * await sink.write([{ row: 0, prediction: { label: 'none' } }]);
 */
export function openSink(job: string, spec: JobSpec['sink'], logger: JobLogger): JobSink {
  return spec.kind === 'jsonl' ? new JsonlSink(job, spec.path) : new MqttSink(job, spec, logger);
}

class JsonlSink implements JobSink {
  readonly #job: string;
  readonly #path: string;
  #folderReady = false;

  constructor(job: string, path: string) {
    this.#job = job;
    this.#path = path;
  }

  async write(lines: readonly Record<string, unknown>[]): Promise<void> {
    if (lines.length === 0) return;
    try {
      if (!this.#folderReady) {
        await mkdir(dirname(this.#path), { recursive: true });
        this.#folderReady = true;
      }
      // One append per batch: lines of a batch land together.
      await appendFile(this.#path, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
    } catch (err) {
      throw new JobError(
        'EF_AGENT_JOB_SINK',
        `cannot append to ${this.#path}`,
        { job: this.#job, path: this.#path },
        {
          cause: err,
        },
      );
    }
  }

  status(): Record<string, unknown> {
    return { path: this.#path };
  }

  async close(): Promise<void> {}
}

class MqttSink implements JobSink {
  readonly #job: string;
  readonly #topic: string;
  readonly #client: MqttClient;

  constructor(job: string, spec: { url: string; topic: string }, logger: JobLogger) {
    this.#job = job;
    this.#topic = spec.topic;
    this.#client = connectLocalMqtt(spec.url, job, logger);
  }

  async write(lines: readonly Record<string, unknown>[]): Promise<void> {
    if (lines.length === 0) return;
    if (!this.#client.connected) {
      throw new JobError(
        'EF_AGENT_JOB_SINK',
        `the sink broker is not connected (topic ${this.#topic})`,
        {
          job: this.#job,
          topic: this.#topic,
        },
      );
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no acknowledgement within ${MQTT_SINK_TIMEOUT_MS} ms`)),
        MQTT_SINK_TIMEOUT_MS,
      );
    });
    try {
      await Promise.race([
        Promise.all(
          lines.map((l) => this.#client.publishAsync(this.#topic, JSON.stringify(l), { qos: 1 })),
        ),
        timeout,
      ]);
    } catch (err) {
      throw new JobError(
        'EF_AGENT_JOB_SINK',
        `cannot publish results to ${this.#topic}`,
        {
          job: this.#job,
          topic: this.#topic,
        },
        { cause: err },
      );
    } finally {
      clearTimeout(timer);
    }
  }

  status(): Record<string, unknown> {
    return { topic: this.#topic, connected: this.#client.connected };
  }

  async close(): Promise<void> {
    await this.#client.endAsync(true);
  }
}
