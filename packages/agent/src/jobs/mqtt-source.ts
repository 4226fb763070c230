/**
 * A local MQTT topic as a job source: messages (a JSON object per row, or an array of them)
 * are buffered between runs. The buffer is capped: past the cap the oldest rows are dropped
 * and counted. Buffered rows live in memory only, so a restart loses them; the broker's QoS 1
 * delivery covers the gap only while the agent runs.
 */
import type { MqttClient } from 'mqtt';
import { connectLocalMqtt } from './local-mqtt.js';
import type { JobLogger, JobRow, JobSource, SourceBatch } from './job-source.js';
import type { JobStateStore } from './job-state.js';

/** Rows buffered per MQTT source at most. */
export const DEFAULT_MQTT_BUFFER_ROWS = 10_000;

interface Pending {
  index: number | undefined;
  values: Record<string, unknown>;
}

export class MqttSource implements JobSource {
  readonly #job: string;
  readonly #topic: string;
  readonly #store: JobStateStore;
  readonly #logger: JobLogger;
  readonly #cap: number;
  readonly #client: MqttClient;
  #rows: Pending[] = [];
  #head = 0;
  #nextIndex: number;
  #dropped = 0;
  #malformed = 0;
  #malformedTotal = 0;
  #subscribed = false;

  constructor(
    job: string,
    source: { url: string; topic: string },
    store: JobStateStore,
    logger: JobLogger,
    cap = DEFAULT_MQTT_BUFFER_ROWS,
  ) {
    this.#job = job;
    this.#topic = source.topic;
    this.#store = store;
    this.#logger = logger;
    this.#cap = cap;
    this.#nextIndex = this.#loadIndex();
    this.#client = connectLocalMqtt(source.url, job, logger, (client) => {
      client.subscribe(this.#topic, { qos: 1 }, (err, granted) => {
        const refused = err !== null || granted?.some((g) => g.qos === 128);
        this.#subscribed = !refused;
        if (refused) {
          logger.warn(
            { job, topic: this.#topic, err: err?.message },
            'the job source subscription was refused',
          );
        }
      });
    });
    this.#client.on('close', () => {
      this.#subscribed = false;
    });
    this.#client.on('message', (_topic, payload) => this.#receive(payload));
  }

  status(): Record<string, unknown> {
    return {
      topic: this.#topic,
      subscribed: this.#subscribed,
      buffered: this.#rows.length - this.#head,
      dropped: this.#dropped,
      malformed: this.#malformedTotal,
      nextIndex: this.#nextIndex,
    };
  }

  async take(maxRows: number, features: readonly string[] | undefined): Promise<SourceBatch> {
    const taken = this.#rows.slice(this.#head, this.#head + maxRows);
    this.#head += taken.length;
    this.#compact();
    // Messages that were not JSON rows were counted on arrival; rows without the model's
    // features are found here.
    let malformed = this.#malformed;
    this.#malformed = 0;
    const rows: JobRow[] = [];
    const kept: Pending[] = [];
    for (const pending of taken) {
      const values = rowValues(pending.values, features);
      if (values === undefined) {
        malformed++;
        this.#malformedTotal++;
        continue;
      }
      pending.index ??= this.#nextIndex++;
      rows.push({ index: pending.index, values });
      kept.push(pending);
    }
    return {
      rows,
      commit: (done) => {
        const back = kept.slice(done);
        if (back.length > 0) this.#putBack(back);
        this.#save();
        return { malformed };
      },
    };
  }

  async close(): Promise<void> {
    await this.#client.endAsync(true);
  }

  #receive(payload: Buffer): void {
    let value: unknown;
    try {
      value = JSON.parse(payload.toString('utf8'));
    } catch {
      this.#countMalformed();
      return;
    }
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item === null || typeof item !== 'object' || Array.isArray(item)) {
        this.#countMalformed();
        continue;
      }
      this.#rows.push({ index: undefined, values: item as Record<string, unknown> });
      if (this.#rows.length - this.#head > this.#cap) {
        // Drop the oldest: a periodic job is better served by recent readings.
        this.#head++;
        this.#dropped++;
      }
    }
    this.#compact();
  }

  #countMalformed(): void {
    this.#malformed++;
    this.#malformedTotal++;
  }

  #putBack(rows: Pending[]): void {
    this.#rows = [...rows, ...this.#rows.slice(this.#head)];
    this.#head = 0;
    const over = this.#rows.length - this.#cap;
    if (over > 0) {
      this.#head = over;
      this.#dropped += over;
    }
  }

  #compact(): void {
    if (this.#head > 4096 && this.#head * 2 > this.#rows.length) {
      this.#rows = this.#rows.slice(this.#head);
      this.#head = 0;
    }
  }

  #loadIndex(): number {
    try {
      const saved = this.#store.load(this.#job);
      const next = saved?.['nextIndex'];
      if (
        saved?.['kind'] === 'mqtt' &&
        typeof next === 'number' &&
        Number.isSafeInteger(next) &&
        next >= 0
      )
        return next;
    } catch (err) {
      this.#logger.warn(
        { job: this.#job, err },
        'the job state is damaged; row indexes start at 0',
      );
    }
    return 0;
  }

  #save(): void {
    this.#store.save(this.#job, { kind: 'mqtt', topic: this.#topic, nextIndex: this.#nextIndex });
  }
}

/** A message row's model inputs: numbers or null (missing) only; undefined when malformed. */
function rowValues(
  row: Record<string, unknown>,
  features: readonly string[] | undefined,
): Record<string, number | null> | undefined {
  const names = features ?? Object.keys(row);
  const values: Record<string, number | null> = {};
  for (const name of names) {
    const v = row[name];
    if (v === undefined || v === null) values[name] = null;
    else if (typeof v === 'number' && Number.isFinite(v)) values[name] = v;
    else return undefined;
  }
  return values;
}
