/**
 * The inference worker thread: holds onnxruntime sessions keyed by (model name, bundle sha256)
 * and runs jobs from the pool one after another. onnxruntime's `run()` blocks the thread it
 * runs on, which is why it runs here and not on the agent's event loop.
 */
import { parentPort, workerData } from 'node:worker_threads';

import { isEdgefleetError } from '@edgefleet/protocol';
import { ModelSession } from '@edgefleet/runtime';

import { runStacked } from './batched-runs.js';
import {
  transferablesOf,
  type FailedReply,
  type RunJob,
  type SessionKey,
  type WorkerJob,
  type WorkerReadyMessage,
  type WorkerReply,
} from './worker-messages.js';

const port = parentPort;
if (port === null) throw new Error('inference-worker.ts must run in a worker thread');

const sessions = new Map<SessionKey, ModelSession>();
const batching = (workerData as { batching?: boolean } | undefined)?.batching !== false;
// Batches are handled strictly in arrival order, even though each job awaits.
let chain: Promise<void> = Promise.resolve();

port.on('message', (jobs: WorkerJob[]) => {
  chain = chain.then(() => handleBatch(jobs));
  // A bug here would leave jobs unanswered: dying instead makes the pool fail them with a
  // code and start a fresh worker.
  chain.catch((err: unknown) =>
    process.nextTick(() => {
      throw err;
    }),
  );
});
port.postMessage({ ready: true } satisfies WorkerReadyMessage);

async function handleBatch(jobs: WorkerJob[]): Promise<void> {
  const replies: WorkerReply[] = [];
  let runs: RunJob[] = [];
  for (const job of jobs) {
    if (job.type === 'run') {
      runs.push(job);
      continue;
    }
    // Loads, releases and the exit hook keep their place relative to the runs around them.
    replies.push(...(await handleRuns(runs)));
    runs = [];
    if (job.type === 'exit') {
      // Answer what ran before the crash point, as a worker that dies mid-stream would have.
      if (replies.length > 0) port!.postMessage(replies);
      process.exit(70);
    }
    replies.push(await handle(job));
  }
  replies.push(...(await handleRuns(runs)));
  const transfer = transferablesOf(
    replies.flatMap((r) =>
      'outputs' in r && !Array.isArray(r.outputs) ? Object.values(r.outputs) : [],
    ),
  );
  try {
    port!.postMessage(replies, transfer);
  } catch (err) {
    // A reply that cannot be cloned must still answer its job, or the caller would wait forever.
    const why = err instanceof Error ? err.message : String(err);
    port!.postMessage(
      replies.map((r) =>
        r.ok ? failed(r.id, 'EF_RUNTIME_RUN', `the worker could not send the result: ${why}`) : r,
      ),
    );
  }
}

/** Runs of one message: stacked per session where possible, else one by one. */
async function handleRuns(runs: RunJob[]): Promise<WorkerReply[]> {
  if (runs.length === 0) return [];
  const replies: WorkerReply[] = [];
  const byKey = new Map<SessionKey, RunJob[]>();
  for (const job of runs) {
    const group = byKey.get(job.key);
    if (group === undefined) byKey.set(job.key, [job]);
    else group.push(job);
  }
  for (const [key, group] of byKey) {
    const session = sessions.get(key);
    const stacked =
      batching && session !== undefined ? await runStacked(session, group) : undefined;
    if (stacked !== undefined) {
      group.forEach((job, j) => replies.push({ id: job.id, ok: true, outputs: stacked[j]! }));
      continue;
    }
    for (const job of group) replies.push(await handle(job));
  }
  return replies;
}

async function handle(job: Exclude<WorkerJob, { type: 'exit' }>): Promise<WorkerReply> {
  try {
    switch (job.type) {
      case 'run': {
        const session = sessions.get(job.key);
        if (session === undefined) {
          return failed(job.id, 'EF_AGENT_MODEL_NOT_FOUND', `no session ${job.key} in this worker`);
        }
        return { id: job.id, ok: true, outputs: await session.run(job.feeds) };
      }
      case 'load': {
        let session = sessions.get(job.key);
        if (session === undefined) {
          session = await ModelSession.load(job.modelPath, { intraOpThreads: job.intraOpThreads });
          sessions.set(job.key, session);
        }
        return { id: job.id, ok: true, inputs: [...session.inputs], outputs: [...session.outputs] };
      }
      case 'release': {
        const session = sessions.get(job.key);
        sessions.delete(job.key);
        await session?.release();
        return { id: job.id, ok: true };
      }
    }
  } catch (err) {
    if (isEdgefleetError(err)) {
      return failed(
        job.id,
        err.code,
        err.message,
        err.details === undefined ? undefined : { ...err.details },
      );
    }
    const message = err instanceof Error ? err.message : String(err);
    const code = job.type === 'load' ? 'EF_AGENT_MODEL_LOAD' : 'EF_RUNTIME_RUN';
    return failed(job.id, code, message);
  }
}

function failed(
  id: number,
  code: string,
  message: string,
  details?: Record<string, unknown>,
): FailedReply {
  if (details === undefined) return { id, ok: false, code, message };
  // Details travel by structured clone; a JSON round trip keeps only what can travel.
  let plain: Record<string, unknown> | undefined;
  try {
    plain = JSON.parse(JSON.stringify(details)) as Record<string, unknown>;
  } catch {
    plain = undefined;
  }
  return plain === undefined
    ? { id, ok: false, code, message }
    : { id, ok: false, code, message, details: plain };
}
