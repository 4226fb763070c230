/**
 * A worker pool that many model hosts share: the fleet simulator runs hundreds of agents in one
 * process, and one pool of threads per agent would mean thousands of threads. Sessions in the
 * workers are keyed by bundle (`<name>@<sha256>`) and counted by holder, so a thousand hosts
 * serving the same bundle load it once per worker; each host keeps its own serving map, counters
 * and crash counts, and a crash is blamed on the hosts whose runs were on the dead worker.
 */
import { availableParallelism } from 'node:os';
import type { ResourceLimits } from 'node:worker_threads';

import type { FeedTensor, OutputTensor } from '@edgefleet/runtime';

import { InferenceError } from './inference-errors.js';
import { intOption } from './inference-options.js';
import type { ModelHostOptions, PoolStats } from './model-host-types.js';
import type { CrashedRun } from './pool-worker.js';
import { resolveWorkerEntry } from './worker-entry.js';
import type { SessionKey } from './worker-messages.js';
import { WorkerPool, type SessionInfo } from './worker-pool.js';

/** Options of {@link createWorkerPool}; the same meaning as in `ModelHostOptions`. */
export interface WorkerPoolSettings {
  /** Worker threads; default min(2, available cores). */
  workers?: number;
  /** Requests waiting or running across the pool (all hosts) before EF_AGENT_BUSY; default 256 per worker. */
  queueLimit?: number;
  /** onnxruntime threads inside one operator, per session; default 1. */
  intraOpThreads?: number;
  /** Stack same-session requests that reach a worker together; default true. */
  batching?: boolean;
  /** V8 heap limits per worker; default Node's. */
  workerResourceLimits?: ResourceLimits;
}

/** The pool's figures, across every host that uses it. */
export interface SharedPoolStats extends PoolStats {
  /** Distinct sessions loaded (one per bundle, however many hosts serve it). */
  sessions: number;
  /** Model hosts attached. */
  hosts: number;
}

/** A worker pool to pass as `createModelHost({ pool })`; the caller closes it after its hosts. */
export interface InferencePool {
  readonly workers: number;
  readonly queueLimit: number;
  stats(): SharedPoolStats;
  /** Stops the workers; hosts still using the pool answer EF_AGENT_HOST_CLOSED. Idempotent. */
  close(): Promise<void>;
}

type CrashListener = (keys: SessionKey[], reason: string) => void;

interface SessionRef {
  holders: number;
  loading: Promise<SessionInfo>;
}

/** The implementation behind {@link InferencePool}; model hosts use the rest of its surface. */
export class SharedWorkerPool implements InferencePool {
  readonly workers: number;
  readonly queueLimit: number;
  readonly #sessions = new Map<SessionKey, SessionRef>();
  readonly #listeners = new Map<number, CrashListener>();
  #nextOwner = 1;
  #pool: WorkerPool | undefined;
  #closed = false;

  private constructor(workers: number, queueLimit: number) {
    this.workers = workers;
    this.queueLimit = queueLimit;
  }

  /** Starts the threads (see {@link createWorkerPool}). */
  static async start(settings: WorkerPoolSettings): Promise<SharedWorkerPool> {
    const workers = intOption(settings.workers, Math.min(2, availableParallelism()), 'workers', 64);
    const queueLimit = intOption(settings.queueLimit, 256 * workers, 'queueLimit', 1_000_000);
    const intraOpThreads = intOption(settings.intraOpThreads, 1, 'intraOpThreads', 1024);
    const shared = new SharedWorkerPool(workers, queueLimit);
    shared.#pool = await WorkerPool.start({
      workers,
      queueLimit,
      intraOpThreads,
      batching: settings.batching !== false,
      resourceLimits: settings.workerResourceLimits,
      entry: resolveWorkerEntry(import.meta.url),
      onCrash: (runs, reason) => shared.#blame(runs, reason),
    });
    return shared;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Registers a host; its runs carry the returned owner id, and crashes of them reach `onCrash`. */
  attach(onCrash: CrashListener): number {
    if (this.#closed) throw closedError();
    const owner = this.#nextOwner++;
    this.#listeners.set(owner, onCrash);
    return owner;
  }

  detach(owner: number): void {
    this.#listeners.delete(owner);
  }

  /**
   * Holds the session `key`, loading it in every worker unless another holder already did (a
   * load under way is joined). A failed load holds nothing and rejects every joiner.
   */
  async acquire(key: SessionKey, modelPath: string): Promise<SessionInfo> {
    const pool = this.#live();
    const existing = this.#sessions.get(key);
    if (existing !== undefined) {
      existing.holders++;
      return existing.loading;
    }
    const ref: SessionRef = { holders: 1, loading: pool.load(key, modelPath) };
    this.#sessions.set(key, ref);
    ref.loading.catch(() => {
      if (this.#sessions.get(key) === ref) this.#sessions.delete(key);
    });
    return ref.loading;
  }

  /** Drops one hold of `key`; the last one frees the session in every worker. */
  async release(key: SessionKey): Promise<void> {
    const ref = this.#sessions.get(key);
    if (ref === undefined) return;
    if (--ref.holders > 0) return;
    this.#sessions.delete(key);
    if (!this.#closed) await this.#pool?.release(key);
  }

  run(
    key: SessionKey,
    feeds: Record<string, FeedTensor>,
    options: { transfer?: boolean; owner?: number },
  ): Promise<Record<string, OutputTensor>> {
    if (this.#closed || this.#pool === undefined) return Promise.reject(closedError());
    return this.#pool.run(key, feeds, options);
  }

  runOn(
    slot: number,
    key: SessionKey,
    feeds: Record<string, FeedTensor>,
    owner: number,
  ): Promise<Record<string, OutputTensor>> {
    return this.#live().runOn(slot, key, feeds, owner);
  }

  readySlots(): number[] {
    return this.#closed ? [] : (this.#pool?.readySlots() ?? []);
  }

  killWorker(slot: number, how?: 'terminate' | 'exit'): Promise<void> {
    return this.#live().killWorker(slot, how);
  }

  stats(): SharedPoolStats {
    return {
      workers: this.workers,
      outstanding: this.#pool?.outstanding ?? 0,
      queueLimit: this.queueLimit,
      crashes: this.#pool?.crashes ?? 0,
      sessions: this.#sessions.size,
      hosts: this.#listeners.size,
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#sessions.clear();
    this.#listeners.clear();
    await this.#pool?.close();
  }

  #blame(runs: CrashedRun[], reason: string): void {
    const byOwner = new Map<number, Set<SessionKey>>();
    for (const { key, owner } of runs) {
      if (owner === undefined) continue;
      const keys = byOwner.get(owner) ?? new Set<SessionKey>();
      keys.add(key);
      byOwner.set(owner, keys);
    }
    // Every host hears of every crash (to log it); only those with runs on it are blamed.
    for (const [owner, listener] of this.#listeners) {
      try {
        listener([...(byOwner.get(owner) ?? [])], reason);
      } catch {
        // One host's listener must not keep the others from hearing of the crash.
      }
    }
  }

  #live(): WorkerPool {
    if (this.#closed || this.#pool === undefined) throw closedError();
    return this.#pool;
  }
}

function closedError(): InferenceError {
  return new InferenceError('EF_AGENT_HOST_CLOSED', 'the model host is closed');
}

/**
 * Starts a pool of inference worker threads that several model hosts share (many simulated
 * agents in one process). Close it after the hosts that use it.
 *
 * @throws InferenceError EF_AGENT_HOST_OPTIONS, EF_AGENT_WORKER_START
 * @example
 * const pool = await createWorkerPool({ workers: 2 });
 * const a = await createModelHost({ pool });
 * const b = await createModelHost({ pool });
 * // ... a.close(); b.close();
 * await pool.close();
 */
export function createWorkerPool(settings: WorkerPoolSettings = {}): Promise<InferencePool> {
  return SharedWorkerPool.start(settings);
}

// Options that belong to the pool: a host on a shared pool cannot have its own.
const POOL_OPTIONS = [
  'workers',
  'queueLimit',
  'intraOpThreads',
  'batching',
  'workerResourceLimits',
] as const;

/**
 * The pool a model host runs on: the shared one its options name, or a new one of its own.
 *
 * @throws InferenceError EF_AGENT_HOST_OPTIONS, EF_AGENT_HOST_CLOSED, EF_AGENT_WORKER_START
 * @example
 * const pool = await poolForHost({ workers: 1 });
 */
export async function poolForHost(options: ModelHostOptions): Promise<SharedWorkerPool> {
  if (options.pool === undefined) {
    return SharedWorkerPool.start({
      ...(options.workers === undefined ? {} : { workers: options.workers }),
      ...(options.queueLimit === undefined ? {} : { queueLimit: options.queueLimit }),
      ...(options.intraOpThreads === undefined ? {} : { intraOpThreads: options.intraOpThreads }),
      ...(options.batching === undefined ? {} : { batching: options.batching }),
      ...(options.workerResourceLimits === undefined
        ? {}
        : { workerResourceLimits: options.workerResourceLimits }),
    });
  }
  if (!(options.pool instanceof SharedWorkerPool)) {
    throw new InferenceError(
      'EF_AGENT_HOST_OPTIONS',
      'pool must be a pool returned by createWorkerPool()',
    );
  }
  const conflicting = POOL_OPTIONS.filter((name) => options[name] !== undefined);
  if (conflicting.length > 0) {
    throw new InferenceError(
      'EF_AGENT_HOST_OPTIONS',
      `${conflicting.join(', ')} belong to the shared pool: set them on createWorkerPool(), not on a host that uses it`,
      { options: conflicting },
    );
  }
  if (options.pool.closed) {
    throw new InferenceError('EF_AGENT_HOST_CLOSED', 'the shared worker pool is closed');
  }
  return options.pool;
}
