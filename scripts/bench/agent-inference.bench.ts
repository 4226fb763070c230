/**
 * The agent's inference figures (issue 6 goals on a 2-core machine): predictions per second
 * through the local HTTP API (goal >= 5,000/s, one row per request), the host's overhead against
 * onnxruntime called directly (goal <= 10%), idle RSS with one model loaded (goal <= 120 MB) and
 * cold start to the first prediction (goal <= 2 s).
 *
 * The RSS and cold-start figures come from a fresh child process (agent-inference-process.ts),
 * so the bench's own memory and warm caches do not count.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

import { parseManifest } from '@edgefleet/protocol';
import { ModelSession, preprocessTabular } from '@edgefleet/runtime';
import type { TabularPreprocessSpec } from '@edgefleet/runtime';

// Relative until the agent's index exports the host and the API.
import { startLocalApi } from '../../packages/agent/src/api/index.js';
import { createModelHost } from '../../packages/agent/src/inference/index.js';
import type {
  InstalledBundle,
  LocalModelHost,
  ModelHostOptions,
} from '../../packages/agent/src/inference/index.js';
import { measureFreshProcess, type FreshProcessFigures } from './agent-inference-process.js';
import { httpLoad } from './http-load.js';

export interface InferenceFigures extends FreshProcessFigures {
  /** Batch-1 requests answered per second through the local HTTP API (keep-alive, concurrent). */
  httpPredictionsPerSecond: number;
  /** Separate figure: rows per second when each HTTP request carries `batchRows` rows. */
  httpRowsPerSecondBatched: number;
  batchRows: number;
  /**
   * Throughput overhead of `ModelHost.predict` (one worker, 64 concurrent batch-1 callers,
   * preprocessing and postprocessing included) against `ModelSession.run` called directly in a
   * loop on the same preprocessed rows: (host us per prediction / direct us per run - 1) x 100.
   * Negative when the host's stacking of concurrent requests beats one run per request.
   */
  overheadPct: number;
  /** The same with stacking off (`batching: false`): one onnxruntime run per request. */
  overheadPctUnbatched: number;
  /** One awaited `predict` at a time against one direct run: the thread hop's latency. */
  latencyOverheadPct: number;
  directRunUs: number;
  hostPredictUs: number;
  hostPredictUnbatchedUs: number;
  hostSequentialUs: number;
  /** In-process predictions per second with the default pool (64 concurrent batch-1 callers). */
  inProcessPredictionsPerSecond: number;
}

export interface MeasureInferenceOptions {
  /** Seconds per throughput measurement; default 3. */
  seconds?: number;
  /** Concurrent keep-alive HTTP connections; default 32. */
  connections?: number;
  /** Rows per request for the separate batched HTTP figure; default 16. */
  batchRows?: number;
  /** How the fresh process runs the agent; default 'auto' (built when dist is fresh). */
  childMode?: 'auto' | 'built' | 'source';
}

const PM_EVAL = fileURLToPath(new URL('../../fixtures/data/pm/eval.csv', import.meta.url));

/**
 * Measures the inference figures for a tabular bundle: an installed bundle, or the path of an
 * extracted bundle directory (manifest.json and model.onnx).
 *
 * @example
 * const figures = await measureInference(installedPm);
 * figures.httpPredictionsPerSecond; // e.g. 9000
 */
export async function measureInference(
  bundleOrDir: InstalledBundle | string,
  options: MeasureInferenceOptions = {},
): Promise<InferenceFigures> {
  const bundle = typeof bundleOrDir === 'string' ? await readInstalled(bundleOrDir) : bundleOrDir;
  const seconds = options.seconds ?? 3;
  const connections = options.connections ?? 32;
  const batchRows = options.batchRows ?? 16;
  const spec = bundle.manifest.preprocess;
  if (spec.kind !== 'tabular') throw new Error('measureInference needs a tabular bundle');
  const rows = evalRows(spec.features.length, 256);

  const direct = await measureDirect(bundle, spec, rows, seconds);
  const oneWorker = (extra: ModelHostOptions) =>
    withHost(bundle, { workers: 1, ...extra }, (host) =>
      predictRate(host, bundle.name, rows, 64, seconds),
    );
  const stacked = await oneWorker({});
  const unstacked = await oneWorker({ batching: false });
  const sequential = await withHost(bundle, { workers: 1 }, (host) =>
    predictRate(host, bundle.name, rows, 1, seconds),
  );
  const pooled = await withHost(bundle, {}, async (host) => {
    const inProcess = await predictRate(host, bundle.name, rows, 64, seconds);
    const api = await startLocalApi({ host, port: 0 });
    try {
      const load = {
        port: api.port!,
        path: `/v1/models/${encodeURIComponent(bundle.name)}/predict`,
        connections,
        seconds,
      };
      const http1 = await httpLoad({
        ...load,
        bodies: rows.map((r) => JSON.stringify({ inputs: [r] })),
      });
      const bodiesN = chunk(rows, batchRows).map((b) => JSON.stringify({ inputs: b }));
      const httpN = await httpLoad({ ...load, bodies: bodiesN });
      return { inProcess, http1, httpN };
    } finally {
      await api.close();
    }
  });
  const fresh = await measureFreshProcess(bundle, rows[0]!, options.childMode);
  const us = (rate: number): number => 1e6 / rate;
  return {
    httpPredictionsPerSecond: pooled.http1,
    httpRowsPerSecondBatched: pooled.httpN * batchRows,
    batchRows,
    overheadPct: (us(stacked) / direct - 1) * 100,
    overheadPctUnbatched: (us(unstacked) / direct - 1) * 100,
    latencyOverheadPct: (us(sequential) / direct - 1) * 100,
    directRunUs: direct,
    hostPredictUs: us(stacked),
    hostPredictUnbatchedUs: us(unstacked),
    hostSequentialUs: us(sequential),
    inProcessPredictionsPerSecond: pooled.inProcess,
    ...fresh,
  };
}

async function readInstalled(dir: string): Promise<InstalledBundle> {
  const manifest = parseManifest(await readFile(join(dir, 'manifest.json')));
  const { name, version } = manifest;
  return { name, version, sha256: manifest.model.sha256, dir, manifest };
}

function evalRows(width: number, count: number): number[][] {
  const lines = readFileSync(PM_EVAL, 'utf8')
    .trim()
    .split('\n')
    .slice(1, count + 1);
  return lines.map((line) => line.split(',').slice(0, width).map(Number));
}

function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i + size <= items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Microseconds per direct batch-1 run on this thread. */
async function measureDirect(
  bundle: InstalledBundle,
  spec: TabularPreprocessSpec,
  rows: number[][],
  seconds: number,
): Promise<number> {
  const session = await ModelSession.load(join(bundle.dir, bundle.manifest.model.file), {
    intraOpThreads: 1,
  });
  try {
    const feeds = rows.map((r) => ({ [spec.input]: preprocessTabular(spec, [r]) }));
    for (let i = 0; i < 2000; i++) await session.run(feeds[i % feeds.length]!);
    let runs = 0;
    const start = performance.now();
    const end = start + seconds * 1000;
    while (performance.now() < end) {
      for (let i = 0; i < 100; i++) await session.run(feeds[runs++ % feeds.length]!);
    }
    return ((performance.now() - start) * 1000) / runs;
  } finally {
    await session.release();
  }
}

async function withHost<T>(
  bundle: InstalledBundle,
  options: ModelHostOptions,
  use: (host: LocalModelHost) => Promise<T>,
): Promise<T> {
  const host = await createModelHost(options);
  try {
    await host.activate(await host.prepare(bundle));
    return await use(host);
  } finally {
    await host.close();
  }
}

/** Predictions per second with `concurrency` callers each awaiting one batch-1 call at a time. */
async function predictRate(
  host: LocalModelHost,
  name: string,
  rows: number[][],
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
