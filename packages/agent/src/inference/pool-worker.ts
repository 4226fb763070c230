/**
 * One inference worker thread as the pool sees it: its jobs in flight, the sessions it holds,
 * and a per-turn outbox so jobs queued in one event-loop turn travel in one message.
 */
import { Worker, type ResourceLimits } from 'node:worker_threads';

import { EdgefleetError } from '@edgefleet/protocol';

import { InferenceError } from './inference-errors.js';
import type { WorkerEntry } from './worker-entry.js';
import {
  transferablesOf,
  type SessionKey,
  type WorkerJob,
  type WorkerReadyMessage,
  type WorkerReply,
} from './worker-messages.js';

type JobWithoutId = WorkerJob extends infer J
  ? J extends WorkerJob
    ? Omit<J, 'id'>
    : never
  : never;

interface InFlight {
  resolve: (reply: WorkerReply) => void;
  reject: (err: Error) => void;
  /** The session a run job uses, so a crash can be blamed on the models it was running. */
  runKey: SessionKey | undefined;
  /** Who asked for the run (a model host sharing the pool), so the blame reaches the right one. */
  owner: number | undefined;
}

/** A run job that was in flight when its worker died. */
export interface CrashedRun {
  key: SessionKey;
  owner: number | undefined;
}

export type PoolWorkerState = 'starting' | 'ready' | 'dead';

/**
 * V8 limits of an inference thread unless the host is given others. A run allocates little on
 * the JS heap (feeds arrive and outputs leave as typed arrays), yet under load Node's default
 * young generation grows to its maximum and stays resident until V8's memory reducer runs.
 * 8 MB keeps about 7 MB less resident per busy worker, with throughput within the noise of
 * the benchmark (4 MB saved 2 MB more but cost a few percent of unstacked throughput).
 */
export const DEFAULT_WORKER_RESOURCE_LIMITS: Readonly<ResourceLimits> = Object.freeze({
  maxYoungGenerationSizeMb: 8,
});

/** Why the thread ended: `exit` is the crash path, `closed` an orderly stop. */
export interface PoolWorkerExit {
  worker: PoolWorker;
  crashed: boolean;
  /** The run jobs that were in flight. */
  runs: CrashedRun[];
  reason: string;
}

export class PoolWorker {
  readonly slot: number;
  state: PoolWorkerState = 'starting';
  /** Sessions loaded in this thread. */
  readonly loaded = new Set<SessionKey>();
  /** Set once the thread has posted its ready message. */
  readonly started: Promise<void>;

  readonly #worker: Worker;
  readonly #inFlight = new Map<number, InFlight>();
  #runs = 0;
  #nextId = 1;
  #outbox: WorkerJob[] = [];
  /** Run jobs whose feed buffers may move to the worker (the caller keeps no use for them). */
  #movable = new Set<number>();
  #flushScheduled = false;
  #closing = false;
  #lastError: Error | undefined;

  constructor(
    slot: number,
    entry: WorkerEntry,
    settings: { batching: boolean; resourceLimits?: ResourceLimits | undefined },
    onExit: (exit: PoolWorkerExit) => void,
  ) {
    this.slot = slot;
    const workerData = {
      ...(entry.options.workerData as object | undefined),
      batching: settings.batching,
    };
    this.#worker = new Worker(entry.script, {
      ...entry.options,
      workerData,
      resourceLimits: { ...DEFAULT_WORKER_RESOURCE_LIMITS, ...settings.resourceLimits },
    });
    let ready!: () => void;
    let failedToStart!: (err: Error) => void;
    this.started = new Promise<void>((resolve, reject) => {
      ready = resolve;
      failedToStart = reject;
    });
    // Nobody may await `started` when the pool is closing; the rejection must not go unhandled.
    this.started.catch(() => undefined);
    this.#worker.on('message', (message: WorkerReply[] | WorkerReadyMessage) => {
      if (!Array.isArray(message)) {
        if (message.ready) ready();
        return;
      }
      for (const reply of message) this.#settle(reply);
    });
    this.#worker.on('error', (err) => {
      this.#lastError = err;
    });
    this.#worker.on('exit', (code) => {
      const wasStarting = this.state === 'starting';
      this.state = 'dead';
      const reason = this.#lastError?.message ?? `exit code ${code}`;
      if (wasStarting) {
        failedToStart(
          new InferenceError(
            'EF_AGENT_WORKER_START',
            `an inference worker did not start: ${reason}`,
            {
              slot,
            },
          ),
        );
      }
      const runs = [...this.#inFlight.values()].flatMap((j) =>
        j.runKey === undefined ? [] : [{ key: j.runKey, owner: j.owner }],
      );
      const err = this.#closing
        ? new InferenceError('EF_AGENT_HOST_CLOSED', 'the model host closed before the job ran')
        : new InferenceError(
            'EF_AGENT_WORKER_CRASHED',
            `the inference worker died (${reason}) before answering; it is being replaced`,
            { slot },
          );
      for (const job of this.#inFlight.values()) job.reject(err);
      this.#inFlight.clear();
      this.#runs = 0;
      onExit({ worker: this, crashed: !this.#closing, runs, reason });
    });
  }

  /** Run jobs sent and not answered yet: the load measure for least-busy dispatch. */
  get runsInFlight(): number {
    return this.#runs;
  }

  /**
   * Queues a job for this turn's message and resolves with the worker's reply; a failed job
   * rejects with its coded error, a dying worker with EF_AGENT_WORKER_CRASHED.
   */
  send(
    job: JobWithoutId,
    options: { transfer?: boolean; owner?: number | undefined } = {},
  ): Promise<WorkerReply> {
    if (this.state === 'dead') {
      return Promise.reject(
        new InferenceError('EF_AGENT_WORKER_CRASHED', 'the inference worker is gone', {
          slot: this.slot,
        }),
      );
    }
    const id = this.#nextId++;
    // An idle worker gets the job at once (no turn of latency); while it is busy, jobs gather
    // until the end of this turn and travel together.
    const idle = this.#inFlight.size === 0 && this.state === 'ready';
    const runKey = job.type === 'run' ? job.key : undefined;
    if (runKey !== undefined) this.#runs++;
    const promise = new Promise<WorkerReply>((resolve, reject) => {
      this.#inFlight.set(id, { resolve, reject, runKey, owner: options.owner });
    });
    this.#outbox.push({ ...job, id } as WorkerJob);
    if (options.transfer === true) this.#movable.add(id);
    if (idle) {
      this.#flush();
    } else if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => {
        this.#flushScheduled = false;
        this.#flush();
      });
    }
    return promise;
  }

  /** Terminates the thread; jobs in flight fail with EF_AGENT_HOST_CLOSED. */
  async close(): Promise<void> {
    this.#closing = true;
    await this.#worker.terminate();
  }

  /** Test hook: terminates the thread as a crash would (jobs fail, the pool replaces it). */
  async kill(): Promise<void> {
    await this.#worker.terminate();
  }

  #flush(): void {
    const jobs = this.#outbox;
    const movable = this.#movable;
    this.#outbox = [];
    this.#movable = new Set();
    if (jobs.length === 0 || this.state === 'dead') return;
    const transfer = transferablesOf(
      jobs.flatMap((j) => (j.type === 'run' && movable.has(j.id) ? Object.values(j.feeds) : [])),
    );
    try {
      this.#worker.postMessage(jobs, transfer);
    } catch (err) {
      // Feeds that cannot be cloned fail their own jobs; the worker never saw them.
      for (const job of jobs) {
        const pending = this.#take(job.id);
        pending?.reject(
          new EdgefleetError(
            'EF_RUNTIME_FEED_TYPE',
            `cannot send the job to a worker: ${String(err)}`,
          ),
        );
      }
    }
  }

  #settle(reply: WorkerReply): void {
    const pending = this.#take(reply.id);
    if (pending === undefined) return;
    if (reply.ok) {
      pending.resolve(reply);
      return;
    }
    pending.reject(new EdgefleetError(reply.code, reply.message, reply.details));
  }

  #take(id: number): InFlight | undefined {
    const pending = this.#inFlight.get(id);
    if (pending === undefined) return undefined;
    this.#inFlight.delete(id);
    if (pending.runKey !== undefined) this.#runs--;
    return pending;
  }
}
