/** The local model host's options and its surface beyond the installer's {@link ModelHost}. */
import type { ResourceLimits } from 'node:worker_threads';

import type { OutputTensor, PreprocessedTensor } from '@edgefleet/runtime';

import type { ModelHostStats } from './model-counters.js';
import type { ModelHost, PreparedModel } from './model-host-api.js';
import type { Prediction, PredictResult } from './predict-result.js';
import type { InferencePool } from './shared-pool.js';

/** One answered prediction, for the drift monitor. Built only when a listener is set. */
export interface PredictionEvent {
  name: string;
  version: string;
  sha256: string;
  /** The preprocessed batch the model ran on, [rows, ...]. */
  input: PreprocessedTensor;
  /** Tabular models: raw values in the bundle's feature order (NaN = missing), per row. */
  rawRows?: number[][];
  outputs: Readonly<Record<string, OutputTensor>>;
  predictions: readonly Prediction[];
}

export interface ModelHostOptions {
  /**
   * A worker pool shared with other hosts (`createWorkerPool`), for many agents in one
   * process; default a pool of the host's own, closed with it. A host on a shared pool takes
   * none of the pool options below (workers ... workerResourceLimits) and leaves the pool open
   * when it closes.
   */
  pool?: InferencePool;
  /** Worker threads; default min(2, available cores). */
  workers?: number;
  /** Requests waiting or running across the pool before EF_AGENT_BUSY; default 256 per worker. */
  queueLimit?: number;
  /** onnxruntime threads inside one operator, per session; default 1 so workers do not fight. */
  intraOpThreads?: number;
  /**
   * Requests for the same model that reach a worker together run as one stacked batch when
   * the model takes a symbolic batch dim (results equal one-by-one runs up to float rounding);
   * default true. False runs every request on its own.
   */
  batching?: boolean;
  /**
   * V8 heap limits per worker; default Node's. `{ maxYoungGenerationSizeMb: 4 }` trims about
   * 7 MB of idle RSS per worker on x64.
   */
  workerResourceLimits?: ResourceLimits;
  /** Rows per request; default 1024. */
  maxRows?: number;
  /** Largest accepted image (width x height); default the runtime's 25 MP. */
  limitInputPixels?: number;
  /**
   * Simulation knob (fleet simulator, tests), not for real devices: every answered prediction
   * is held this many ms more before it resolves, and the wait counts in its latency (the
   * stats and the health report), as on a slow device. A function gives the delay per serving
   * model (e.g. only one version is slow); a value it returns outside 0..60000 counts as 0.
   * Default 0.
   */
  simulatedLatencyMs?: number | ((model: { name: string; version: string }) => number);
  /**
   * Called after each successful prediction, on the event loop: keep it cheap. A listener
   * that throws is ignored (it must not fail the request).
   */
  onPrediction?: (event: PredictionEvent) => void;
  /** Called when a worker dies, with the serving models that had requests in flight. */
  onCrash?: (models: string[], reason: string) => void;
}

/** A serving model as `list()` and `GET /v1/models` show it. */
export interface ServingModel {
  name: string;
  version: string;
  sha256: string;
  state: 'serving';
}

/** The pool's own figures, for health reports (a shared pool's count every host's requests). */
export interface PoolStats {
  workers: number;
  /** Requests waiting for a worker or running. */
  outstanding: number;
  queueLimit: number;
  /** Worker deaths since start. */
  crashes: number;
}

/** The agent's model host: what the installer drives plus what the local API serves. */
export interface LocalModelHost extends ModelHost {
  /**
   * Answers a prediction request (see `PredictRequest`) with the serving version of `name`.
   * Bad requests reject with EF_AGENT_REQUEST_* or the runtime's EF_RUNTIME_INPUT_* /
   * EF_RUNTIME_IMAGE_* codes; EF_AGENT_MODEL_NOT_FOUND, EF_AGENT_BUSY, EF_AGENT_WORKER_CRASHED,
   * EF_AGENT_HOST_CLOSED otherwise.
   */
  predict(name: string, request: unknown): Promise<PredictResult>;
  list(): ServingModel[];
  stats(name: string): ModelHostStats | undefined;
  /** Worker crashes while `name` had requests in flight, since it was activated. */
  crashes(name: string): number;
  /** Releases a prepared model that will not be activated (no-op if already used). */
  discard(prepared: PreparedModel): Promise<void>;
  poolStats(): PoolStats;
  /**
   * Fault injection for tests: worker `slot` dies, by `terminate()` from outside or by
   * exiting from inside once it reaches the jobs sent before this call.
   */
  killWorker(slot: number, how?: 'terminate' | 'exit'): Promise<void>;
}
