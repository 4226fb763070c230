/**
 * The messages between the pool (main thread) and an inference worker. Both sides send arrays:
 * jobs queued in one event-loop turn travel in one message, so a burst of small requests costs
 * one structured clone per turn instead of one per request.
 */
import type { FeedTensor, ModelValueInfo, OutputTensor } from '@edgefleet/runtime';

/** A session's identity in a worker: model name and bundle sha256, `<name>@<sha256>`. */
export type SessionKey = string;

export interface LoadJob {
  type: 'load';
  id: number;
  key: SessionKey;
  modelPath: string;
  intraOpThreads: number;
}

export interface RunJob {
  type: 'run';
  id: number;
  key: SessionKey;
  feeds: Record<string, FeedTensor>;
}

export interface ReleaseJob {
  type: 'release';
  id: number;
  key: SessionKey;
}

/** Test hook: the worker exits with a non-zero code when it reaches this job (a crash). */
export interface ExitJob {
  type: 'exit';
  id: number;
}

export type WorkerJob = LoadJob | RunJob | ReleaseJob | ExitJob;

export interface LoadedReply {
  id: number;
  ok: true;
  inputs: ModelValueInfo[];
  outputs: ModelValueInfo[];
}

export interface RunReply {
  id: number;
  ok: true;
  outputs: Record<string, OutputTensor>;
}

export interface DoneReply {
  id: number;
  ok: true;
}

/** A job that failed in the worker, with the coded error's parts (errors do not clone well). */
export interface FailedReply {
  id: number;
  ok: false;
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

export type WorkerReply = LoadedReply | RunReply | DoneReply | FailedReply;

/** Sent once by a worker when its module has loaded and it listens for jobs. */
export interface WorkerReadyMessage {
  ready: true;
}

// Transferring moves an ArrayBuffer without copying but has a fixed cost; below this size a
// copy is cheaper (a PM row is 32 bytes).
const TRANSFER_MIN_BYTES = 16 * 1024;

/**
 * The buffers of `tensors` worth transferring: large ones that the view covers entirely
 * (transferring a shared or pooled buffer would detach data the sender still uses).
 */
export function transferablesOf(tensors: Iterable<{ data: unknown }>): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  for (const { data } of tensors) {
    if (!ArrayBuffer.isView(data)) continue;
    const buffer = data.buffer;
    if (!(buffer instanceof ArrayBuffer)) continue;
    if (data.byteLength < TRANSFER_MIN_BYTES) continue;
    if (data.byteOffset !== 0 || data.byteLength !== buffer.byteLength) continue;
    if (!out.includes(buffer)) out.push(buffer);
  }
  return out;
}
