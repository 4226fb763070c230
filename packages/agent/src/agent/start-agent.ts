/**
 * `edgefleet agent start` in one call. Order matters for the promise "inference never stops
 * and no accepted report is lost": the database and outbox open first (reports have somewhere
 * durable to go), then the model host and the converger restore what was serving (no broker
 * needed), then the local API opens. The MQTT link connects in the background; a retained desired
 * state finds its handler already registered (the converger registers it synchronously in
 * `start()`, in the same tick the link is created, before any network event).
 */
import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { destination, pino } from 'pino';
import type { Logger } from 'pino';
import { resolveAgentOptions } from './agent-options.js';
import type { AgentOptions, AgentOptionsInput } from './agent-options.js';
import { AGENT_VERSION } from './agent-version.js';
import { driftTrackingHost } from './drift-tracking-host.js';
import { startStatusSnapshots } from './status-snapshot.js';
import type { AgentStatus } from './status-snapshot.js';
import { startLocalApi } from '../api/local-api.js';
import type { LocalApi } from '../api/local-api.js';
import { Converger } from '../converge/converger.js';
import type { InstallHooks } from '../converge/installer.js';
import { DriftMonitor } from '../drift/drift-monitor.js';
import { AgentError } from '../errors.js';
import { HealthReporter, modelsFromHost } from '../health/health-reporter.js';
import { createModelHost } from '../inference/model-host.js';
import type { LocalModelHost, ModelHostOptions } from '../inference/model-host-types.js';
import { startJobs } from '../jobs/job-runner.js';
import type { JobRunner } from '../jobs/job-runner.js';
import { connectAgentLink } from '../link/agent-link.js';
import type { ConnectedAgentLink } from '../link/agent-link.js';
import { openOutbox } from '../outbox/outbox.js';
import type { Outbox } from '../outbox/outbox.js';
import { openAgentDb } from '../state/agent-db.js';

/** A started agent. */
export interface RunningAgent {
  readonly deviceId: string;
  readonly bootId: string;
  readonly stateDir: string;
  readonly options: AgentOptions;
  /** The local API's TCP URL, when served over TCP. */
  readonly apiUrl: string | undefined;
  readonly socketPath: string | undefined;
  readonly modelHost: LocalModelHost;
  readonly outbox: Outbox;
  readonly converger: Converger;
  readonly link: ConnectedAgentLink;
  /** A point-in-time view of the agent (what `agent status` prints). */
  status(): Promise<AgentStatus>;
  /** Stops jobs, API, link, converger, workers and the database, in that order. Idempotent. */
  close(): Promise<void>;
}

/** Extra seams for the fleet simulator and fault tests. */
export interface StartAgentExtras {
  /** A logger; default pino JSON on stderr at `options.logLevel`. */
  logger?: Logger;
  /**
   * Model host options: `workers: 1`, or `pool` (a `createWorkerPool()` shared by many agents
   * in one process), or the simulation knob `simulatedLatencyMs`. The agent sets `onPrediction`
   * and `onCrash` itself.
   */
  modelHost?: ModelHostOptions;
  /** Install step hooks for fault injection (the converger's `hooks`; see `InstallHooks`). */
  convergerHooks?: InstallHooks;
}

function createAgentLogger(options: AgentOptions): Logger {
  if (options.logLevel === false) return pino({ enabled: false });
  return pino(
    {
      name: 'edgefleet-agent',
      level: options.logLevel,
      base: { device: options.config.deviceId },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination(2),
  );
}

async function closeAll(steps: (() => Promise<unknown>)[], logger: Logger): Promise<void> {
  for (const step of steps.reverse()) {
    try {
      await step();
    } catch (err) {
      logger.error({ err }, 'error while stopping the agent');
    }
  }
}

function driftOutputs(predictions: readonly unknown[]): number[] {
  return predictions.map((p) => {
    const r = p as { classIndex?: number; value?: number };
    return r.classIndex ?? r.value ?? Number.NaN;
  });
}

/**
 * Starts the agent; it serves its installed bundles even when no broker is reachable.
 *
 * @example
 * const agent = await startAgent({ config: await loadDeviceConfig('device.json'), stateDir: './state' });
 * process.once('SIGTERM', () => void agent.close());
 */
export async function startAgent(
  input: AgentOptionsInput,
  extras: StartAgentExtras = {},
): Promise<RunningAgent> {
  const options = resolveAgentOptions(input);
  const logger = extras.logger ?? createAgentLogger(options);
  const { config, stateDir } = options;
  try {
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new AgentError(
      'EF_AGENT_STATE_DIR',
      `cannot create the state directory ${stateDir}: ${(err as Error).message}`,
      { stateDir },
      { cause: err },
    );
  }
  const steps: (() => Promise<unknown>)[] = [];
  try {
    const db = openAgentDb(join(stateDir, 'agent.db'));
    steps.push(async () => db.close());
    const bootId = randomUUID();
    const outbox = openOutbox(db, { deviceId: config.deviceId, bootId, logger });
    steps.push(() => outbox.close());

    const drift = new DriftMonitor({
      reports: outbox,
      window: { count: options.drift.windowCount, ms: options.drift.windowMs },
      stateDir,
      onError: (err) => logger.warn({ err }, 'drift monitor'),
    });
    const host = await createModelHost({
      ...(options.workers !== undefined ? { workers: options.workers } : {}),
      ...extras.modelHost,
      onPrediction: (e) =>
        drift.observe(e.name, e.version, e.rawRows ?? e.input, driftOutputs(e.predictions)),
      onCrash: (models, reason) => logger.error({ models, reason }, 'inference worker crashed'),
    });
    steps.push(() => host.close());
    steps.push(async () => drift.stop());

    const link = connectAgentLink({
      brokerUrl: config.brokerUrl,
      deviceId: config.deviceId,
      username: config.username,
      password: config.password,
      bootId,
      agentVersion: AGENT_VERSION,
      birth: () => ({
        models: host.list().map((m) => ({ name: m.name, version: m.version, sha256: m.sha256 })),
      }),
      logger,
    });
    steps.push(() => link.close());

    const converger = new Converger({
      db,
      stateDir,
      deviceId: config.deviceId,
      link,
      reports: outbox,
      modelHost: driftTrackingHost(host, drift, logger),
      trust: {
        rootPublicKeys: config.rootPublicKeys,
        ...(config.keyring ? { keyring: config.keyring } : {}),
      },
      download: {
        window: options.download.window,
        blockBytes: options.download.blockBytes,
        http: options.download.http
          ? { username: config.username, password: config.password }
          : false,
      },
      probation: options.probation,
      logger,
      ...(extras.convergerHooks === undefined ? {} : { hooks: extras.convergerHooks }),
    });
    const restored = await converger.start();
    steps.push(() => converger.stop());
    logger.info({ restored }, 'serving restored');
    drift.start();

    const health = new HealthReporter({
      reports: outbox,
      models: modelsFromHost(host),
      outbox: () => outbox.counters(),
      stateDir,
      intervalMs: options.healthIntervalMs,
      onError: (err) => logger.warn({ err }, 'health collection'),
    });
    health.start();
    steps.push(async () => health.stop());

    let api: LocalApi | undefined;
    if (options.api !== false) {
      api = await startLocalApi({
        host,
        ...(options.api.socketPath === undefined || options.api.port !== 8787
          ? { port: options.api.port }
          : {}),
        address: options.api.host,
        ...(options.api.socketPath !== undefined ? { socketPath: options.api.socketPath } : {}),
        health: () => ({
          deviceId: config.deviceId,
          bootId,
          broker: link.connected ? 'connected' : 'disconnected',
          outbox: outbox.counters(),
        }),
      });
      const opened = api;
      steps.push(() => opened.close());
    }

    let jobs: JobRunner | undefined;
    if (options.jobs.length > 0) {
      jobs = startJobs(options.jobs, (model, request) => host.predict(model, request), {
        stateDir,
        logger,
      });
      const started = jobs;
      steps.push(async () => started.stop());
    }

    outbox.start(link);
    steps.push(() => outbox.stop());

    const status = async (): Promise<AgentStatus> => ({
      deviceId: config.deviceId,
      bootId,
      pid: process.pid,
      agentVersion: AGENT_VERSION,
      updatedAt: new Date().toISOString(),
      broker: { url: config.brokerUrl, connected: link.connected },
      api: { url: api?.url, socketPath: api?.socketPath },
      converger: await converger.status(),
      models: host.list().map((m) => ({ ...m, stats: host.stats(m.name) })),
      outbox: outbox.stats(),
      drift: drift.stats(),
    });
    const snapshots = startStatusSnapshots(stateDir, status, logger);
    steps.push(() => snapshots.stop());

    let closing: Promise<void> | undefined;
    return {
      deviceId: config.deviceId,
      bootId,
      stateDir,
      options,
      apiUrl: api?.url,
      socketPath: api?.socketPath,
      modelHost: host,
      outbox,
      converger,
      link,
      status,
      close: () => (closing ??= closeAll(steps, logger)),
    };
  } catch (err) {
    await closeAll(steps, logger);
    throw err;
  }
}
