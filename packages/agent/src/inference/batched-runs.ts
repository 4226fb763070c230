/**
 * Dynamic batching inside a worker: run jobs for the same session that arrive in one message
 * are stacked along the batch dim and run once, then the outputs are split back per job. For
 * small models most of a run's cost is fixed (feed checks, kernel dispatch), so 32 stacked
 * rows cost little more than one. Only done when it cannot change the meaning: the input's
 * batch dim is symbolic, every job feeds the same inputs with the same element type and the
 * same per-row shape, and every output has the stacked row count as its first dim. Anything
 * else (or a failed stacked run) falls back to one run per job, so errors stay per request.
 */
import type { FeedTensor, ModelSession, OutputTensor, TensorData } from '@edgefleet/runtime';

import type { RunJob } from './worker-messages.js';

// Beyond this, a stacked run holds the first job's answer back longer than it saves.
const MAX_STACKED_ROWS = 4096;

/**
 * Outputs per job, in job order, from one stacked run; undefined when the jobs cannot be
 * stacked or the stacked run failed (the caller then runs them one by one).
 *
 * @example
 * const outputs = await runStacked(session, jobs) ?? (await runEach(session, jobs));
 */
export async function runStacked(
  session: ModelSession,
  jobs: readonly RunJob[],
): Promise<Record<string, OutputTensor>[] | undefined> {
  const plan = stackPlan(session, jobs);
  if (plan === undefined) return undefined;
  let outputs: Record<string, OutputTensor>;
  try {
    outputs = await session.run(plan.feeds);
  } catch {
    return undefined;
  }
  for (const tensor of Object.values(outputs)) {
    if (tensor.dims[0] !== plan.total) return undefined;
  }
  return plan.rows.map((rows, j) => {
    const start = plan.offsets[j]!;
    const out: Record<string, OutputTensor> = {};
    for (const [name, tensor] of Object.entries(outputs)) {
      const per = tensor.data.length / plan.total;
      out[name] = {
        data: tensor.data.slice(start * per, (start + rows) * per) as TensorData,
        dims: [rows, ...tensor.dims.slice(1)],
        type: tensor.type,
      };
    }
    return out;
  });
}

interface StackPlan {
  feeds: Record<string, FeedTensor>;
  rows: number[];
  offsets: number[];
  total: number;
}

function stackPlan(session: ModelSession, jobs: readonly RunJob[]): StackPlan | undefined {
  const first = jobs[0];
  if (first === undefined || jobs.length < 2) return undefined;
  const names = session.inputs.map((i) => i.name);
  // A fixed batch dim (or an unknown shape) means the model was not exported for batching.
  if (session.inputs.some((i) => i.shape.length === 0 || typeof i.shape[0] === 'number')) {
    return undefined;
  }
  const rows: number[] = [];
  const offsets: number[] = [];
  let total = 0;
  for (const job of jobs) {
    const keys = Object.keys(job.feeds);
    if (keys.length !== names.length || !names.every((n) => keys.includes(n))) return undefined;
    const n = job.feeds[names[0]!]!.dims[0];
    if (n === undefined || !Number.isSafeInteger(n) || n < 1) return undefined;
    for (const name of names) {
      const feed = job.feeds[name]!;
      const model = first.feeds[name]!;
      if (!sameRowShape(feed, model, n) || feed.data.constructor !== model.data.constructor) {
        return undefined;
      }
    }
    offsets.push(total);
    rows.push(n);
    total += n;
  }
  if (total > MAX_STACKED_ROWS) return undefined;
  const feeds: Record<string, FeedTensor> = {};
  for (const name of names) {
    const model = first.feeds[name]!;
    if (Array.isArray(model.data)) return undefined; // string tensors are not stacked
    const parts = jobs.map((j) => j.feeds[name]!.data as Exclude<TensorData, string[]>);
    const length = parts.reduce((a, p) => a + p.length, 0);
    const Ctor = (model.data as Exclude<TensorData, string[]>).constructor as new (
      n: number,
    ) => Exclude<TensorData, string[]>;
    const data = new Ctor(length);
    let at = 0;
    for (const part of parts) {
      (data as Float32Array).set(part as Float32Array, at);
      at += part.length;
    }
    feeds[name] = {
      data,
      dims: [total, ...model.dims.slice(1)],
      ...(model.type === undefined ? {} : { type: model.type }),
    };
  }
  return { feeds, rows, offsets, total };
}

function sameRowShape(feed: FeedTensor, model: FeedTensor, rows: number): boolean {
  if (!Array.isArray(feed.dims) || feed.dims.length !== model.dims.length) return false;
  if (feed.dims[0] !== rows || feed.type !== model.type) return false;
  for (let d = 1; d < feed.dims.length; d++) if (feed.dims[d] !== model.dims[d]) return false;
  const per = feed.dims.slice(1).reduce((a, b) => a * b, 1);
  return ArrayBuffer.isView(feed.data) && feed.data.length === rows * per;
}
