/**
 * The agent's inference speed (issue 6 goals on a 2-core machine): predictions per second
 * through the local HTTP API (goal >= 5,000/s, one row per request) and the model host's
 * overhead against onnxruntime called directly (goal <= 10%). Memory and cold start come from
 * fresh processes: agent-inference-process.ts and agent-daemon-process.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

import { ModelSession, preprocessTabular } from '@edgefleet/runtime';
import type { FeedTensor, TabularPreprocessSpec } from '@edgefleet/runtime';

// Relative until the agent's index exports the host and the API.
import { startLocalApi } from '../../packages/agent/src/api/index.js';
import { createModelHost } from '../../packages/agent/src/inference/index.js';
import type {
  InstalledBundle,
  LocalModelHost,
  ModelHostOptions,
} from '../../packages/agent/src/inference/index.js';
import { httpLoad } from './http-load.js';

const PM_EVAL = fileURLToPath(new URL('../../fixtures/data/pm/eval.csv', import.meta.url));

/** Microseconds per batch-1 prediction, medians over the rounds. */
export interface OverheadFigures {
  /** `ModelSession.run` awaited in a loop on this thread, feeds preprocessed beforehand. */
  directRunUs: number;
  /** The host (one worker) with 64 concurrent batch-1 callers: throughput at saturation. */
  hostStackedUs: number;
  /** The same with stacking off (`batching: false`): one onnxruntime run per request. */
  hostUnstackedUs: number;
  /** One awaited `predict` at a time: the latency of a call, thread hop included. */
  hostSequentialUs: number;
  /** A message to an echo worker thread and back, in the same rounds: the hop's floor. */
  threadRoundTripUs: number;
  /** Per-round (host / direct - 1) x 100, median over the rounds; negative = faster. */
  overheadPct: number;
  overheadPctUnbatched: number;
  latencyOverheadPct: number;
  rounds: number;
}

export interface OverheadOptions {
  /** Seconds per measurement; default 2. */
  seconds?: number;
  /** Rounds of (direct, stacked, unstacked, sequential), interleaved so load drifts cancel. */
  rounds?: number;
}

/**
 * The host's overhead against onnxruntime-node on the same model and rows. The host's
 * figures include validating the request, preprocessing, the worker hop and postprocessing
 * (labels); the direct loop runs preprocessed feeds. Both use one onnxruntime thread.
 *
 * @example
 * const { latencyOverheadPct } = await measureOverhead(bundles.pm);
 */
export async function measureOverhead(
  bundle: InstalledBundle,
  options: OverheadOptions = {},
): Promise<OverheadFigures> {
  const seconds = options.seconds ?? 2;
  const rounds = options.rounds ?? 3;
  const spec = tabularSpec(bundle);
  const rows = evalRows(spec.features.length, 256);
  const session = await ModelSession.load(join(bundle.dir, bundle.manifest.model.file), {
    intraOpThreads: 1,
  });
  const stacked = await startHost(bundle, { workers: 1 });
  const unstacked = await startHost(bundle, { workers: 1, batching: false });
  try {
    const feeds = rows.map((r) => ({ [spec.input]: preprocessTabular(spec, [r]) }));
    const samples: number[][] = [[], [], [], [], []];
    for (let round = 0; round < rounds; round++) {
      const us = (rate: number): number => 1e6 / rate;
      samples[0]!.push(await directRunUs(session, feeds, seconds));
      samples[1]!.push(us(await predictRate(stacked, bundle.name, rows, 64, seconds)));
      samples[2]!.push(us(await predictRate(unstacked, bundle.name, rows, 64, seconds)));
      samples[3]!.push(us(await predictRate(stacked, bundle.name, rows, 1, seconds)));
      samples[4]!.push(await measureThreadRoundTrip(seconds / 2));
    }
    const [direct, hostStacked, hostUnstacked, hostSequential, roundTrip] = samples as [
      number[],
      number[],
      number[],
      number[],
      number[],
    ];
    const pct = (host: number[]): number => median(host.map((h, i) => (h / direct[i]! - 1) * 100));
    return {
      directRunUs: median(direct),
      hostStackedUs: median(hostStacked),
      hostUnstackedUs: median(hostUnstacked),
      hostSequentialUs: median(hostSequential),
      threadRoundTripUs: median(roundTrip),
      overheadPct: pct(hostStacked),
      overheadPctUnbatched: pct(hostUnstacked),
      latencyOverheadPct: pct(hostSequential),
      rounds,
    };
  } finally {
    await Promise.allSettled([stacked.close(), unstacked.close(), session.release()]);
  }
}

export interface HttpFigures {
  /** Batch-1 requests answered per second (keep-alive connections, one request in flight each). */
  predictionsPerSecond: number;
  /** Rows per second when each request carries `batchRows` rows. */
  rowsPerSecondBatched: number;
  batchRows: number;
  connections: number;
  /** In-process predictions per second on the same host (64 concurrent batch-1 callers). */
  inProcessPredictionsPerSecond: number;
}

export interface HttpOptions {
  /** Seconds per measurement; default 3. */
  seconds?: number;
  /** Concurrent keep-alive HTTP connections; default 32. */
  connections?: number;
  /** Rows per request for the separate batched figure; default 16. */
  batchRows?: number;
  /** The host's options; default the host's defaults (workers = min(2, cores)). */
  host?: ModelHostOptions;
}

/**
 * Throughput of the local HTTP API in front of a model host, the load generator in its own
 * thread of this process (so client and server share the machine's two cores).
 *
 * @example
 * const { predictionsPerSecond } = await measureHttp(bundles.pm, { host: { workers: 1 } });
 */
export async function measureHttp(
  bundle: InstalledBundle,
  options: HttpOptions = {},
): Promise<HttpFigures> {
  const seconds = options.seconds ?? 3;
  const connections = options.connections ?? 32;
  const batchRows = options.batchRows ?? 16;
  const rows = evalRows(tabularSpec(bundle).features.length, 256);
  const host = await startHost(bundle, options.host ?? {});
  try {
    const inProcess = await predictRate(host, bundle.name, rows, 64, seconds);
    const api = await startLocalApi({ host, port: 0 });
    try {
      const load = {
        port: api.port!,
        path: `/v1/models/${encodeURIComponent(bundle.name)}/predict`,
        connections,
        seconds,
      };
      const one = await httpLoad({
        ...load,
        bodies: rows.map((r) => JSON.stringify({ inputs: [r] })),
      });
      const bodiesN = chunk(rows, batchRows).map((b) => JSON.stringify({ inputs: b }));
      const many = await httpLoad({ ...load, bodies: bodiesN });
      return {
        predictionsPerSecond: one,
        rowsPerSecondBatched: many * batchRows,
        batchRows,
        connections,
        inProcessPredictionsPerSecond: inProcess,
      };
    } finally {
      await api.close();
    }
  } finally {
    await host.close();
  }
}

/**
 * Microseconds for one message to a worker thread and back (an echo of a PM-sized run job):
 * the floor of the host's per-call overhead, whatever the worker does.
 *
 * @example
 * const hopUs = await measureThreadRoundTrip();
 */
export async function measureThreadRoundTrip(seconds = 1): Promise<number> {
  const worker = new Worker(
    "const { parentPort } = require('node:worker_threads'); parentPort.on('message', (m) => parentPort.postMessage(m));",
    { eval: true },
  );
  try {
    const job = [
      {
        type: 'run',
        id: 1,
        key: 'pm@x',
        feeds: { input: { data: new Float32Array(8), dims: [1, 8] } },
      },
    ];
    // One listener for good, as the pool has: adding and removing one per message would stop
    // and restart the port each time and measure that instead.
    let answered: () => void = () => undefined;
    worker.on('message', () => answered());
    const once = (): Promise<void> =>
      new Promise((resolve) => {
        answered = resolve;
        worker.postMessage(job);
      });
    for (let i = 0; i < 1000; i++) await once();
    let trips = 0;
    const start = performance.now();
    while (performance.now() - start < seconds * 1000) {
      for (let i = 0; i < 100; i++) await once();
      trips += 100;
    }
    return ((performance.now() - start) * 1000) / trips;
  } finally {
    await worker.terminate();
  }
}

/** The first `count` rows of the PM evaluation CSV, in feature order (label dropped). */
export function evalRows(width: number, count: number): number[][] {
  const lines = readFileSync(PM_EVAL, 'utf8')
    .trim()
    .split('\n')
    .slice(1, count + 1);
  return lines.map((line) => line.split(',').slice(0, width).map(Number));
}

function tabularSpec(bundle: InstalledBundle): TabularPreprocessSpec {
  const spec = bundle.manifest.preprocess;
  if (spec.kind !== 'tabular') throw new Error(`${bundle.name}: the bench needs a tabular bundle`);
  return spec;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i + size <= items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Microseconds per direct batch-1 run on this thread. */
async function directRunUs(
  session: ModelSession,
  feeds: readonly Record<string, FeedTensor>[],
  seconds: number,
): Promise<number> {
  for (let i = 0; i < 500; i++) await session.run(feeds[i % feeds.length]!);
  let runs = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) {
    for (let i = 0; i < 100; i++) await session.run(feeds[runs++ % feeds.length]!);
  }
  return ((performance.now() - start) * 1000) / runs;
}

async function startHost(
  bundle: InstalledBundle,
  options: ModelHostOptions,
): Promise<LocalModelHost> {
  const host = await createModelHost(options);
  try {
    await host.activate(await host.prepare(bundle));
    return host;
  } catch (err) {
    await host.close();
    throw err;
  }
}

/** Predictions per second with `concurrency` callers each awaiting one batch-1 call at a time. */
async function predictRate(
  host: LocalModelHost,
  name: string,
  rows: readonly number[][],
  concurrency: number,
  seconds: number,
): Promise<number> {
  const run = async (ms: number): Promise<number> => {
    let done = 0;
    const end = performance.now() + ms;
    await Promise.all(
      Array.from({ length: concurrency }, async (_, c) => {
        for (let i = c; performance.now() < end; i += concurrency) {
          await host.predict(name, { inputs: [rows[i % rows.length]!] });
          done++;
        }
      }),
    );
    return done;
  };
  await run(300);
  const start = performance.now();
  const done = await run(seconds * 1000);
  return done / ((performance.now() - start) / 1000);
}
