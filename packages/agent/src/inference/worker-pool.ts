/**
 * The pool of inference worker threads: every worker holds every registered session, runs go
 * to the least-busy worker that has the session, the number of runs waiting or in flight is
 * bounded, and a worker that dies is replaced (with its sessions reloaded) while the runs it
 * held fail with a code instead of hanging.
 */
import type { ResourceLimits } from 'node:worker_threads';

import type { FeedTensor, ModelValueInfo, OutputTensor } from '@edgefleet/runtime';

import { InferenceError } from './inference-errors.js';
import { PoolWorker, type CrashedRun, type PoolWorkerExit } from './pool-worker.js';
import type { WorkerEntry } from './worker-entry.js';
import type { LoadedReply, RunReply, SessionKey } from './worker-messages.js';

export interface WorkerPoolOptions {
  workers: number;
  /** Runs waiting or in flight across the pool; one more is refused with EF_AGENT_BUSY. */
  queueLimit: number;
  intraOpThreads: number;
  /** Stack same-session runs of one message into one onnxruntime run (see batched-runs.ts). */
  batching: boolean;
  /** V8 heap limits of each worker (a small young generation trims idle memory). */
  resourceLimits?: ResourceLimits | undefined;
  entry: WorkerEntry;
  /** Called when a worker dies unexpectedly, with the runs it held (session and owner). */
  onCrash?: (runs: CrashedRun[], reason: string) => void;
}

/** A loaded session's declared inputs and outputs, as onnxruntime reports them. */
export interface SessionInfo {
  inputs: ModelValueInfo[];
  outputs: ModelValueInfo[];
}

interface WaitingRun {
  key: SessionKey;
  owner: number | undefined;
  feeds: Record<string, FeedTensor>;
  transfer: boolean;
  resolve: (outputs: Record<string, OutputTensor>) => void;
  reject: (err: Error) => void;
}

// A worker that keeps dying (a model that aborts on load) is restarted ever more slowly.
const RESTART_BACKOFF_MS = [0, 100, 500, 2_000, 5_000];

export class WorkerPool {
  readonly #options: WorkerPoolOptions;
  readonly #workers: PoolWorker[] = [];
  /** Sessions every worker should hold, with the model file each loads from. */
  readonly #registry = new Map<SessionKey, string>();
  readonly #waiting: WaitingRun[] = [];
  readonly #consecutiveCrashes: number[];
  readonly #restartTimers = new Set<NodeJS.Timeout>();
  /** Slots whose worker died and whose replacement is not up yet. */
  readonly #restarting = new Set<number>();
  #crashes = 0;
  #closed = false;

  private constructor(options: WorkerPoolOptions) {
    this.#options = options;
    this.#consecutiveCrashes = Array.from({ length: options.workers }, () => 0);
  }

  /**
   * Starts `options.workers` threads and resolves once each listens.
   *
   * @throws InferenceError EF_AGENT_WORKER_START
   * @example
   * const pool = await WorkerPool.start({ workers: 2, queueLimit: 512, intraOpThreads: 1, entry });
   */
  static async start(options: WorkerPoolOptions): Promise<WorkerPool> {
    const pool = new WorkerPool(options);
    for (let slot = 0; slot < options.workers; slot++) pool.#spawn(slot);
    try {
      await Promise.all(pool.#workers.map((w) => w.started));
    } catch (err) {
      await pool.close();
      throw err;
    }
    for (const w of pool.#workers) w.state = 'ready';
    return pool;
  }

  /** Worker deaths since the pool started (closing is not a death). */
  get crashes(): number {
    return this.#crashes;
  }

  /** Runs waiting for a worker or in flight. */
  get outstanding(): number {
    return this.#waiting.length + this.#workers.reduce((n, w) => n + w.runsInFlight, 0);
  }

  /** Slots of the workers that are up, for the targeted smoke-test runs. */
  readySlots(): number[] {
    return this.#workers.filter((w) => w.state === 'ready').map((w) => w.slot);
  }

  /**
   * Loads a session in every worker (a replacement worker loads it too). On any failure the
   * session is released everywhere and the worker's error is thrown.
   */
  async load(key: SessionKey, modelPath: string): Promise<SessionInfo> {
    this.#assertOpen();
    this.#registry.set(key, modelPath);
    const ready = this.#workers.filter((w) => w.state === 'ready');
    const results = await Promise.allSettled(ready.map((w) => this.#loadIn(w, key, modelPath)));
    const failure = results.find((r) => r.status === 'rejected');
    const first = results.find((r) => r.status === 'fulfilled');
    if (failure !== undefined || first === undefined) {
      await this.release(key);
      if (failure !== undefined) throw failure.reason;
      throw new InferenceError(
        'EF_AGENT_WORKER_CRASHED',
        'no inference worker is up to load the model',
      );
    }
    return first.value;
  }

  /** Releases a session in every worker and forgets it. */
  async release(key: SessionKey): Promise<void> {
    this.#registry.delete(key);
    await Promise.allSettled(
      this.#workers
        .filter((w) => w.state !== 'dead' && w.loaded.has(key))
        .map(async (w) => {
          w.loaded.delete(key);
          await w.send({ type: 'release', key });
        }),
    );
  }

  /**
   * Runs a session on the least-busy worker that holds it. With `transfer`, large feed
   * buffers move to the worker instead of being copied (they are unusable afterwards).
   *
   * @throws InferenceError EF_AGENT_BUSY (over the queue limit), EF_AGENT_WORKER_CRASHED,
   *   EF_AGENT_HOST_CLOSED; the worker's coded error when the run itself fails.
   */
  run(
    key: SessionKey,
    feeds: Record<string, FeedTensor>,
    options: { transfer?: boolean; owner?: number } = {},
  ): Promise<Record<string, OutputTensor>> {
    if (this.#closed) return Promise.reject(closedError());
    if (this.outstanding >= this.#options.queueLimit) {
      return Promise.reject(
        new InferenceError(
          'EF_AGENT_BUSY',
          `${this.outstanding} requests are already waiting for inference (limit ${this.#options.queueLimit})`,
          { limit: this.#options.queueLimit },
        ),
      );
    }
    return new Promise((resolve, reject) => {
      this.#dispatch({
        key,
        owner: options.owner,
        feeds,
        transfer: options.transfer === true,
        resolve,
        reject,
      });
    });
  }

  /** Runs a session on one given worker (smoke tests prove every worker, not just one). */
  async runOn(
    slot: number,
    key: SessionKey,
    feeds: Record<string, FeedTensor>,
    owner?: number,
  ): Promise<Record<string, OutputTensor>> {
    this.#assertOpen();
    const worker = this.#workers[slot];
    if (worker === undefined || worker.state !== 'ready') {
      throw new InferenceError('EF_AGENT_WORKER_CRASHED', `inference worker ${slot} is not up`, {
        slot,
      });
    }
    return ((await worker.send({ type: 'run', key, feeds }, { owner })) as RunReply).outputs;
  }

  /** Test hook: makes worker `slot` die as a crash would (`exit`: after the jobs sent before). */
  async killWorker(slot: number, how: 'terminate' | 'exit' = 'terminate'): Promise<void> {
    const worker = this.#workers[slot];
    if (worker === undefined) return;
    if (how === 'exit') void worker.send({ type: 'exit' }).catch(() => undefined);
    else await worker.kill();
  }

  /** Stops every worker; waiting and in-flight runs fail with EF_AGENT_HOST_CLOSED. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const timer of this.#restartTimers) clearTimeout(timer);
    this.#restartTimers.clear();
    for (const run of this.#waiting.splice(0)) run.reject(closedError());
    await Promise.allSettled(this.#workers.map((w) => w.close()));
  }

  #dispatch(run: WaitingRun): void {
    let best: PoolWorker | undefined;
    let anyStarting = this.#restarting.size > 0;
    for (const w of this.#workers) {
      if (w.state === 'starting') anyStarting = true;
      if (w.state !== 'ready' || !w.loaded.has(run.key)) continue;
      if (best === undefined || w.runsInFlight < best.runsInFlight) best = w;
    }
    if (best === undefined) {
      if (anyStarting) {
        this.#waiting.push(run);
        return;
      }
      run.reject(
        new InferenceError(
          'EF_AGENT_MODEL_LOAD',
          `the model ${run.key} is not loaded in any worker`,
          {
            key: run.key,
          },
        ),
      );
      return;
    }
    const worker = best;
    worker
      .send(
        { type: 'run', key: run.key, feeds: run.feeds },
        { transfer: run.transfer, owner: run.owner },
      )
      .then((reply) => {
        this.#consecutiveCrashes[worker.slot] = 0;
        run.resolve((reply as RunReply).outputs);
      }, run.reject);
  }

  async #loadIn(worker: PoolWorker, key: SessionKey, modelPath: string): Promise<SessionInfo> {
    const reply = (await worker.send({
      type: 'load',
      key,
      modelPath,
      intraOpThreads: this.#options.intraOpThreads,
    })) as LoadedReply;
    worker.loaded.add(key);
    return { inputs: reply.inputs, outputs: reply.outputs };
  }

  #spawn(slot: number): PoolWorker {
    const worker = new PoolWorker(
      slot,
      this.#options.entry,
      { batching: this.#options.batching, resourceLimits: this.#options.resourceLimits },
      (exit) => this.#onExit(exit),
    );
    this.#workers[slot] = worker;
    return worker;
  }

  #onExit(exit: PoolWorkerExit): void {
    if (!exit.crashed || this.#closed) return;
    this.#crashes++;
    const slot = exit.worker.slot;
    const crashes = ++this.#consecutiveCrashes[slot]!;
    this.#options.onCrash?.(exit.runs, exit.reason);
    const delay = RESTART_BACKOFF_MS[Math.min(crashes - 1, RESTART_BACKOFF_MS.length - 1)]!;
    const timer = setTimeout(() => {
      this.#restartTimers.delete(timer);
      void this.#replace(slot);
    }, delay);
    this.#restartTimers.add(timer);
    this.#restarting.add(slot);
  }

  async #replace(slot: number): Promise<void> {
    if (this.#closed) return;
    const worker = this.#spawn(slot);
    try {
      await worker.started;
      await this.#syncSessions(worker);
    } catch (err) {
      // The new worker died too: its exit handler schedules the next attempt, with backoff.
      // Runs waiting for it fail now rather than wait through a crash loop.
      for (const run of this.#waiting.splice(0)) run.reject(err as Error);
      return;
    }
    if (worker.state === 'starting') {
      worker.state = 'ready';
      this.#restarting.delete(slot);
    }
    this.#drainWaiting();
  }

  /** Makes the worker hold exactly the registered sessions, including ones added meanwhile. */
  async #syncSessions(worker: PoolWorker): Promise<void> {
    const failed = new Set<SessionKey>();
    for (;;) {
      const missing = [...this.#registry].find(([k]) => !worker.loaded.has(k) && !failed.has(k));
      if (missing === undefined) break;
      await this.#loadIn(worker, missing[0], missing[1]).catch(() => failed.add(missing[0]));
      if (worker.state === 'dead') return;
    }
    for (const key of [...worker.loaded]) {
      if (this.#registry.has(key)) continue;
      worker.loaded.delete(key);
      await worker.send({ type: 'release', key }).catch(() => undefined);
    }
  }

  #drainWaiting(): void {
    const waiting = this.#waiting.splice(0);
    for (const run of waiting) this.#dispatch(run);
  }

  #assertOpen(): void {
    if (this.#closed) throw closedError();
  }
}

function closedError(): InferenceError {
  return new InferenceError('EF_AGENT_HOST_CLOSED', 'the model host is closed');
}
