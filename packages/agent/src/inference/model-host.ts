/**
 * The agent's model host (DESIGN section 8): bundles are loaded into the worker pool, proven
 * by their smoke tests and swapped in without a gap; predictions run on the version that was
 * serving when they arrived.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

import { isEdgefleetError } from '@edgefleet/protocol';
import type { OutputTensor } from '@edgefleet/runtime';

import { InferenceError } from './inference-errors.js';
import { intOption, latencyKnob } from './inference-options.js';
import { ModelCounters } from './model-counters.js';
import type { InstalledBundle, PreparedModel } from './model-host-api.js';
import type { LocalModelHost, ModelHostOptions, PredictionEvent } from './model-host-types.js';
import { preparePredictInput } from './predict-request.js';
import { readOutputs, type PredictResult } from './predict-result.js';
import { poolForHost } from './shared-pool.js';
import { runSmokeTests } from './smoke-tests.js';
import type { SessionKey } from './worker-messages.js';
import type { SessionInfo } from './worker-pool.js';

interface ServingEntry {
  bundle: InstalledBundle;
  key: SessionKey;
  counters: ModelCounters;
  inFlight: number;
  retired: boolean;
  drained: (() => void) | undefined;
}

// Codes that mean the request was bad, not the model: counted as rejected, answered with 400.
const CALLER_FAULT = /^EF_(AGENT_REQUEST|RUNTIME_(INPUT|FEATURE|FEED|IMAGE))_/;

/**
 * Starts the host on its own worker pool, or on a shared one (`options.pool`, see
 * `createWorkerPool`), and returns it.
 *
 * @throws InferenceError EF_AGENT_HOST_OPTIONS, EF_AGENT_WORKER_START, EF_AGENT_HOST_CLOSED
 *   (a closed shared pool)
 * @example
 * const host = await createModelHost({ workers: 2 });
 * await host.activate(await host.prepare(installed));
 * const { predictions } = await host.predict('pm', { inputs: [[1, 0, 0, 300, 310, 1500, 40, 10]] });
 */
export async function createModelHost(options: ModelHostOptions = {}): Promise<LocalModelHost> {
  const maxRows = intOption(options.maxRows, 1024, 'maxRows', 1_000_000);
  const extraLatency = latencyKnob(options.simulatedLatencyMs);
  const pool = await poolForHost(options);
  const ownsPool = options.pool === undefined;

  const serving = new Map<string, ServingEntry>();
  const refs = new Map<SessionKey, { count: number; info: SessionInfo }>();
  const prepared = new Map<PreparedModel, SessionKey>();
  let closed = false;

  const owner = pool.attach((keys, reason) => {
    const names = [...serving.values()].filter((e) => keys.includes(e.key));
    for (const entry of names) entry.counters.crashed();
    options.onCrash?.(
      names.map((e) => e.bundle.name),
      reason,
    );
  });

  // Lifecycle calls run one at a time, so two prepares of one bundle share one load and the
  // reference counts stay right; predictions are never queued behind them.
  let lifecycle: Promise<unknown> = Promise.resolve();
  function serial<T>(op: () => Promise<T>): Promise<T> {
    const next = lifecycle.then(op, op);
    lifecycle = next.catch(() => undefined);
    return next;
  }

  async function releaseRef(key: SessionKey): Promise<void> {
    const ref = refs.get(key);
    if (ref === undefined) return;
    if (--ref.count > 0) return;
    refs.delete(key);
    await pool.release(key);
  }

  async function retire(entry: ServingEntry): Promise<void> {
    entry.retired = true;
    // Requests that picked this version before the swap finish on it.
    if (entry.inFlight > 0) await new Promise<void>((resolve) => (entry.drained = resolve));
    await releaseRef(entry.key);
  }

  async function load(bundle: InstalledBundle, key: SessionKey): Promise<SessionInfo> {
    const existing = refs.get(key);
    if (existing !== undefined) {
      existing.count++;
      return existing.info;
    }
    const path = join(bundle.dir, bundle.manifest.model.file);
    let info: SessionInfo;
    try {
      info = await pool.acquire(key, path);
    } catch (err) {
      throw asCoded(err, 'EF_AGENT_MODEL_LOAD', `cannot load ${bundle.name} ${bundle.version}`);
    }
    if (closed) {
      // Closed while loading: the hold would outlive the host on a shared pool.
      await pool.release(key);
      throw new InferenceError('EF_AGENT_HOST_CLOSED', 'the model host is closed');
    }
    refs.set(key, { count: 1, info });
    const mismatch = ioMismatch(bundle, info);
    if (mismatch !== undefined) {
      await releaseRef(key);
      throw new InferenceError(
        'EF_AGENT_MODEL_LOAD',
        `${bundle.name} ${bundle.version}: ${mismatch}`,
        {
          name: bundle.name,
          version: bundle.version,
        },
      );
    }
    return info;
  }

  const host: LocalModelHost = {
    prepare: (bundle) =>
      serial(async () => {
        assertOpen();
        checkBundle(bundle);
        const key = `${bundle.name}@${bundle.sha256}`;
        const info = await load(bundle, key);
        try {
          for (const slot of pool.readySlots()) {
            const where = { name: bundle.name, version: bundle.version, worker: slot };
            await runSmokeTests(
              bundle.manifest.smokeTests,
              info.inputs,
              (feeds) => pool.runOn(slot, key, feeds, owner),
              where,
            ).catch((err: unknown) => {
              throw asCoded(
                err,
                'EF_AGENT_SMOKE_TEST',
                `${bundle.name} ${bundle.version}: a smoke test could not run`,
              );
            });
          }
        } catch (err) {
          await releaseRef(key);
          throw err;
        }
        const model: PreparedModel = Object.freeze({ bundle });
        prepared.set(model, key);
        return model;
      }),

    activate: (model) =>
      serial(async () => {
        assertOpen();
        const key = prepared.get(model);
        if (key === undefined) {
          throw new InferenceError(
            'EF_AGENT_MODEL_NOT_PREPARED',
            'activate() needs a model returned by prepare() on this host, not yet activated or discarded',
          );
        }
        prepared.delete(model);
        const name = model.bundle.name;
        const previous = serving.get(name);
        serving.set(name, {
          bundle: model.bundle,
          key,
          counters: new ModelCounters(),
          inFlight: 0,
          retired: false,
          drained: undefined,
        });
        if (previous !== undefined) await retire(previous);
      }),

    discard: (model) =>
      serial(async () => {
        const key = prepared.get(model);
        if (key === undefined) return;
        prepared.delete(model);
        await releaseRef(key);
      }),

    unload: (name) =>
      serial(async () => {
        const entry = serving.get(name);
        if (entry === undefined) return;
        serving.delete(name);
        await retire(entry);
      }),

    list() {
      return [...serving.values()].map(({ bundle }) => ({
        name: bundle.name,
        version: bundle.version,
        sha256: bundle.sha256,
        state: 'serving' as const,
      }));
    },

    stats: (name) => serving.get(name)?.counters.snapshot(),
    crashes: (name) => serving.get(name)?.counters.crashes ?? 0,
    poolStats: () => {
      const { workers, outstanding, queueLimit, crashes } = pool.stats();
      return { workers, outstanding, queueLimit, crashes };
    },
    killWorker: (slot, how) => pool.killWorker(slot, how),

    async predict(name, request) {
      const started = performance.now();
      if (closed) throw new InferenceError('EF_AGENT_HOST_CLOSED', 'the model host is closed');
      const entry = serving.get(name);
      if (entry === undefined) {
        throw new InferenceError(
          'EF_AGENT_MODEL_NOT_FOUND',
          `no model named "${String(name)}" is serving`,
          {
            name,
            serving: [...serving.keys()],
          },
        );
      }
      entry.inFlight++;
      try {
        return await predictOn(entry, request, started);
      } finally {
        if (--entry.inFlight === 0 && entry.retired) entry.drained?.();
      }
    },

    async close() {
      if (closed) return;
      closed = true;
      pool.detach(owner);
      const held = [...refs.keys()];
      serving.clear();
      prepared.clear();
      refs.clear();
      if (ownsPool) await pool.close();
      // On a shared pool, requests in flight finish: each worker runs a release after them.
      else await Promise.all(held.map((key) => pool.release(key)));
    },
  };

  async function predictOn(
    entry: ServingEntry,
    request: unknown,
    started: number,
  ): Promise<PredictResult> {
    const { bundle, counters } = entry;
    const manifest = bundle.manifest;
    const listener = options.onPrediction;
    let outputs: Record<string, OutputTensor>;
    let result: Pick<PredictResult, 'outputs' | 'predictions'>;
    let input;
    try {
      input = await preparePredictInput(manifest, request, {
        maxRows,
        rawRows: listener !== undefined,
        ...(options.limitInputPixels === undefined
          ? {}
          : { limitInputPixels: options.limitInputPixels }),
      });
      // The drift listener reads the input after the run, so it must not move to the worker.
      outputs = await pool.run(
        entry.key,
        { [manifest.preprocess.input]: input.tensor },
        { transfer: listener === undefined, owner },
      );
      result = readOutputs(manifest, outputs);
      // A simulated slow device: the delay counts in the latency it reports.
      const extraMs = extraLatency(bundle);
      if (extraMs > 0) await new Promise((r) => setTimeout(r, extraMs));
    } catch (err) {
      const code = isEdgefleetError(err) ? err.code : '';
      counters.record(performance.now() - started, CALLER_FAULT.test(code) ? 'rejected' : 'error');
      throw err;
    }
    const latencyMs = performance.now() - started;
    counters.record(latencyMs, 'ok');
    if (listener !== undefined) {
      const event: PredictionEvent = {
        name: bundle.name,
        version: bundle.version,
        sha256: bundle.sha256,
        input: input.tensor,
        outputs,
        predictions: result.predictions,
        ...(input.rawRows === undefined ? {} : { rawRows: input.rawRows }),
      };
      try {
        listener(event);
      } catch {
        // The drift monitor's failure is its own; the caller still gets the prediction.
      }
    }
    return { model: bundle.name, version: bundle.version, ...result, latencyMs };
  }

  function assertOpen(): void {
    if (closed) throw new InferenceError('EF_AGENT_HOST_CLOSED', 'the model host is closed');
  }

  return host;
}

/** Why the loaded model cannot serve what its manifest says, or undefined. */
function ioMismatch(bundle: InstalledBundle, info: SessionInfo): string | undefined {
  const { preprocess, postprocess } = bundle.manifest;
  const inputs = info.inputs.map((i) => i.name);
  // Only the preprocessed input is fed: a model wanting more could never run.
  if (inputs.length !== 1 || inputs[0] !== preprocess.input) {
    return `the model's inputs (${inputs.join(', ')}) are not exactly the preprocessed input "${preprocess.input}"`;
  }
  if (!info.outputs.some((o) => o.name === postprocess.output && o.type !== 'non-tensor')) {
    return `the model has no tensor output "${postprocess.output}" named by the manifest`;
  }
  return undefined;
}

function checkBundle(bundle: InstalledBundle): void {
  const ok =
    bundle !== null &&
    typeof bundle === 'object' &&
    typeof bundle.dir === 'string' &&
    typeof bundle.sha256 === 'string' &&
    bundle.manifest !== null &&
    typeof bundle.manifest === 'object' &&
    bundle.manifest.name === bundle.name &&
    bundle.manifest.version === bundle.version;
  if (!ok) {
    throw new InferenceError(
      'EF_AGENT_MODEL_LOAD',
      'prepare() needs an installed bundle { name, version, sha256, dir, manifest } whose manifest names the same model and version',
    );
  }
}

/** `err` as the given code unless it already is a host-level condition worth keeping. */
function asCoded(
  err: unknown,
  code: 'EF_AGENT_MODEL_LOAD' | 'EF_AGENT_SMOKE_TEST',
  what: string,
): Error {
  if (isEdgefleetError(err) && (err.code === code || err.code === 'EF_AGENT_HOST_CLOSED'))
    return err;
  const message = err instanceof Error ? err.message : String(err);
  const cause = isEdgefleetError(err) ? err.code : undefined;
  return new InferenceError(code, `${what}: ${message}`, cause === undefined ? {} : { cause }, {
    cause: err,
  });
}
