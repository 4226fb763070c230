/**
 * `edgefleet hub start` in one call: store, blob store, keys, operator token, broker (embedded
 * unless `brokerUrl`), the hub's MQTT client and message handlers, the desired-state renewer,
 * and the HTTP API. One process by default (DESIGN section 6).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { HubApi } from '../api/hub-api.js';
import { BlobStore } from '../blobs/blob-store.js';
import { startDesiredRepublisher } from '../desired/desired-republisher.js';
import { DesiredStateService } from '../desired/desired-state-service.js';
import { BlobServer } from '../ingest/blob-server.js';
import { DeviceGate } from '../ingest/device-gate.js';
import { connectHubClient } from '../ingest/hub-mqtt-client.js';
import type { HubClient } from '../ingest/hub-mqtt-client.js';
import { IngestBatcher } from '../ingest/ingest-batcher.js';
import type { IngestContext } from '../ingest/ingest-context.js';
import { createMessageRouter } from '../ingest/message-router.js';
import type { MessagePublisher } from '../ingest/message-publisher.js';
import { RejectTracker } from '../ingest/reject-tracker.js';
import { TokenBuckets } from '../ingest/token-buckets.js';
import { loadHubKeys } from '../keys/hub-keys.js';
import { loadOperatorToken } from '../keys/operator-token.js';
import { createLogger } from '../logging/create-logger.js';
import { createHubMetrics } from '../metrics/hub-metrics.js';
import type { HubMetrics } from '../metrics/hub-metrics.js';
import { LastSeenTracker } from '../presence/last-seen-tracker.js';
import { refreshOnlineGauge } from '../presence/online-gauge.js';
import { RolloutEngine, SqliteRolloutStore } from '../rollouts/index.js';
import type { EngineSettings } from '../rollouts/index.js';
import type { HubStore } from '../storage/hub-store.js';
import { SqliteHubStore } from '../storage/sqlite-hub-store.js';
import { authenticateDevice, HUB_BROKER_USERNAME } from './device-auth.js';
import { loadHubBrokerSecret } from '../mosquitto/hub-mosquitto-config.js';
import { reachableHost, startHubBroker } from './hub-broker.js';
import { startHubHttp } from './hub-http.js';
import { createHubApi } from './hub-api-impl.js';
import { resolveHubOptions } from './hub-options.js';
import type { HubOptions } from './hub-options.js';
import { HubStartError } from './hub-start-errors.js';
import { logRolloutEvent } from './rollout-log.js';
import { createRolloutPorts } from './rollout-ports-adapter.js';
import { forwardStoredStatuses } from './status-forwarding.js';

/** A started hub. */
export interface RunningHub {
  api: HubApi;
  /** The HTTP API's base URL ('' when started with `http: false`). */
  httpUrl: string;
  /** Where the broker is reached from this machine (`mqtt://127.0.0.1:<port>` when embedded). */
  brokerUrl: string;
  /** The broker URL `device.json` carries. */
  publicBrokerUrl: string;
  dataDir: string;
  /** The operator token, only when it was created on this start. */
  operatorToken?: string;
  operatorTokenPath: string;
  /** `<data>/keys`, only when the keys were generated on this start. */
  keysDir?: string;
  metrics: HubMetrics;
  /** The hub's store (for a rollout engine and tests; the API is the public surface). */
  store: HubStore;
  /** Desired-state assignment (for a rollout engine). */
  desired: DesiredStateService;
  /** The staged-rollout engine, started; every stored deployment status is fed to it. */
  rollouts: RolloutEngine;
  /** Stops everything, flushing queued telemetry first. Idempotent. */
  close(): Promise<void>;
}

/** {@link startHub}'s options: the hub's, plus the rollout engine's timings (tests, benchmarks). */
export interface StartHubOptions extends HubOptions {
  /** Tick, gate, catch-up and baseline intervals of the rollout engine, in ms. */
  rolloutEngine?: Partial<EngineSettings>;
}

/** Closes in reverse order, logging (not throwing) failures of individual parts. */
async function closeAll(steps: (() => Promise<void>)[], logger: Logger): Promise<void> {
  for (const step of steps.reverse()) {
    try {
      await step();
    } catch (err) {
      logger.error({ err }, 'error while closing the hub');
    }
  }
}

/**
 * Starts the hub. Throws `EF_HUB_OPTIONS`, `EF_HUB_PORT_IN_USE`, `EF_HUB_BROKER_CONNECT`,
 * `EF_HUB_KEYS_*`, `EF_HUB_STORE_*`, `EF_HUB_ROLLOUT_STORE_*` (the rollout tables),
 * `EF_HUB_ROLLOUT_OPTIONS` (bad `rolloutEngine` timings) or `EF_HUB_HTTP_START`, after closing
 * what it started.
 *
 * @example
 * const hub = await startHub({ dataDir: './hub-data', httpPort: 0, mqttPort: 0 });
 * const { provisioning } = await hub.api.enrollDevice('press-07', { site: 'a' });
 * await hub.close();
 */
export async function startHub(input: StartHubOptions): Promise<RunningHub> {
  let options = resolveHubOptions(input);
  const logger = createLogger(options.logLevel);
  try {
    await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new HubStartError(
      'EF_HUB_OPTIONS',
      `dataDir: cannot create ${options.dataDir}`,
      { option: 'dataDir' },
      {
        cause: err,
      },
    );
  }
  if (options.brokerUrl !== undefined && options.brokerPassword === undefined) {
    // The account `hub mosquitto-config` wrote into the broker's password file.
    options = Object.freeze({
      ...options,
      brokerUsername: options.brokerUsername ?? HUB_BROKER_USERNAME,
      brokerPassword: await loadHubBrokerSecret(options.dataDir),
    });
  }
  const steps: (() => Promise<void>)[] = [];
  let closed = false;
  try {
    const store = SqliteHubStore.open(join(options.dataDir, 'hub.db'));
    steps.push(() => store.close());
    const keys = await loadHubKeys({
      dataDir: options.dataDir,
      keyringPath: options.keyringPath,
      deployKeyPath: options.deployKeyPath,
      logger,
    });
    const operator = await loadOperatorToken(options.dataDir);
    if (operator.token !== undefined) {
      logger.warn(
        { path: operator.tokenPath },
        `created the operator token in ${operator.tokenPath} (mode 0600)`,
      );
    }
    const blobs = await BlobStore.open(options.dataDir);
    const metrics = createHubMetrics();
    // An embedded broker starts with no connection, so nobody is online yet.
    if (options.brokerUrl === undefined) await store.markAllOffline(Date.now(), 'hub restart');
    await refreshOnlineGauge({ store, metrics });

    const broker = await startHubBroker(options, store, logger);
    steps.push(() => broker.close());

    // Services are built before the client connects; they publish through it once it exists.
    const link: { client?: HubClient } = {};
    const publish: MessagePublisher = (topic, payload, opts) =>
      link.client === undefined
        ? Promise.reject(new HubStartError('EF_HUB_MQTT_PUBLISH', 'the hub is not connected yet'))
        : link.client.publish(topic, payload, opts);
    const rejects = new RejectTracker(metrics, logger);
    const lastSeen = new LastSeenTracker(store, logger);
    steps.push(() => lastSeen.close());
    const desired = new DesiredStateService({
      store,
      keyring: keys.keyring,
      deployKey: keys.deployKey,
      publish,
      ttlMs: options.desiredTtlMs,
      publicHttpUrl: options.publicHttpUrl,
      metrics,
      logger,
    });
    // A second connection to hub.db; closed after ingest has flushed what it forwards to it.
    const rolloutStore = SqliteRolloutStore.open(join(options.dataDir, 'hub.db'));
    steps.push(() => rolloutStore.close());
    const rollouts = new RolloutEngine({
      ...input.rolloutEngine,
      store: rolloutStore,
      ports: createRolloutPorts({ store, desired }),
      onEvent: (event) => logRolloutEvent(logger, event),
      onError: (err, rolloutId) => logger.error({ err, rolloutId }, 'rollout engine error'),
    });
    steps.push(() => rollouts.close());
    // Every stored status reaches the engine; its failures are logged, never break ingest.
    const ingestStore = forwardStoredStatuses(store, (deviceId, status) => {
      rollouts
        .onDeviceStatus(deviceId, status)
        .catch((err: unknown) =>
          logger.warn({ err, deviceId }, 'the rollout engine could not take a device status'),
        );
    });
    const ctx: IngestContext = {
      store,
      gate: new DeviceGate(store),
      limiter: new TokenBuckets(options.deviceRateLimit),
      batcher: new IngestBatcher({
        store: ingestStore,
        publish,
        metrics,
        rejects,
        lastSeen,
        logger,
      }),
      blobServer: new BlobServer({
        blobs,
        publish,
        metrics,
        rejects,
        logger,
        maxPayloadBytes: options.maxPayloadBytes,
      }),
      lastSeen,
      rejects,
      metrics,
      logger,
      now: Date.now,
    };
    const client = await connectHubClient({
      url: broker.url,
      username: broker.username,
      password: broker.password,
      logger,
      onMessage: createMessageRouter(ctx, { maxPayloadBytes: options.maxPayloadBytes }),
      onReady: () => {
        // Renew what expired while the hub was down, then restore every retained document.
        desired
          .republishDue()
          .then(() => desired.publishAllCurrent())
          .catch((err: unknown) => logger.error({ err }, 'could not republish desired state'));
      },
    });
    link.client = client;
    // Closed in reverse: the client first (no new input), then queued work, then storage.
    steps.push(() => ctx.batcher.close());
    steps.push(() => ctx.blobServer.close());
    steps.push(() => client.close());
    steps.push(startDesiredRepublisher(desired, options.desiredTtlMs, logger));
    // Resumes every running rollout where it was (a restart, even after SIGKILL).
    await rollouts.start();

    let httpUrl = '';
    let publicHttpUrl = options.publicHttpUrl;
    const api = createHubApi({
      store,
      blobs,
      desired,
      rollouts,
      gate: ctx.gate,
      limiter: ctx.limiter,
      metrics,
      logger,
      keyring: keys.keyring,
      rootPublicKeys: keys.rootPublicKeys,
      publicBrokerUrl: broker.publicUrl,
      get publicHttpUrl() {
        return publicHttpUrl;
      },
      disconnect: (id) => broker.disconnectDevice(id),
      isClosed: () => closed,
    });
    if (options.http) {
      const http = await startHubHttp({
        api,
        port: options.httpPort,
        host: options.host,
        authenticateOperator: (token) => operator.verify(token),
        authenticateDevice: (id, secret) => authenticateDevice(store, id, secret),
        logger,
      });
      steps.push(() => http.close());
      httpUrl = http.url;
      publicHttpUrl ??= `http://${reachableHost(options.host)}:${http.port}`;
    }
    logger.info({ httpUrl, brokerUrl: broker.url, dataDir: options.dataDir }, 'hub started');

    let closing: Promise<void> | undefined;
    return {
      api,
      httpUrl,
      brokerUrl: broker.url,
      publicBrokerUrl: broker.publicUrl,
      dataDir: options.dataDir,
      ...(operator.token === undefined ? {} : { operatorToken: operator.token }),
      operatorTokenPath: operator.tokenPath,
      ...(keys.keysDir === undefined ? {} : { keysDir: keys.keysDir }),
      metrics,
      store,
      desired,
      rollouts,
      close(): Promise<void> {
        closed = true;
        closing ??= closeAll(steps, logger).then(() => logger.info('hub stopped'));
        return closing;
      },
    };
  } catch (err) {
    closed = true;
    await closeAll(steps, logger);
    throw err;
  }
}
