/**
 * The pieces the agent fault tests share: an in-process hub on a test's keys, a `device.json`
 * on disk, `edgefleet agent start` as a child process, its local API, and read-only looks into
 * the SQLite files of both (the agent's journal and outbox, the hub's telemetry).
 */
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startHub } from '@edgefleet/hub';
import type { HubOptions, RunningHub } from '@edgefleet/hub';
import type { DeviceProvisioning } from '@edgefleet/protocol';
import { spawnEdgefleet } from './spawn-process.js';
import type { RunningProcess } from './spawn-process.js';
import type { TrustFixture } from './trust-fixture.js';

/** What `agent start --json` prints. */
export interface AgentStartInfo {
  ok: boolean;
  deviceId: string;
  bootId: string;
  stateDir: string;
  apiUrl: string;
  broker: string;
  serving: { name: string; version: string; sha256: string }[];
}

export type AgentProcess = RunningProcess<AgentStartInfo>;

/** One PM row in the bundle's feature order (see fixtures/data/pm). */
export const PM_ROW = [1, 0, 0, 300, 310, 1500, 40, 10];

/**
 * Starts a hub in this process on `trust`'s keyring and deploy key (written under
 * `<dir>/keys`), embedded broker on loopback, no HTTP, no logs. `options` override.
 *
 * @example
 * const hub = await startTestHub(dir, trust);
 */
export async function startTestHub(
  dir: string,
  trust: TrustFixture,
  options: Partial<HubOptions> = {},
): Promise<RunningHub> {
  const keys = join(dir, 'keys');
  await trust.writeTo(keys);
  const external = options.brokerUrl !== undefined;
  return startHub({
    dataDir: join(dir, 'hub'),
    host: '127.0.0.1',
    ...(external ? {} : { mqttPort: 0 }),
    http: false,
    keyringPath: join(keys, 'keyring.json'),
    deployKeyPath: join(keys, 'deploy.key'),
    logLevel: false,
    ...options,
  });
}

/**
 * Writes a provisioning file (mode 0600); `brokerUrl` overrides the one the hub issued.
 *
 * @example
 * const cfg = await writeDeviceConfig(join(dir, 'device.json'), provisioning);
 */
export async function writeDeviceConfig(
  path: string,
  provisioning: DeviceProvisioning,
  overrides: { brokerUrl?: string } = {},
): Promise<string> {
  await writeFile(path, `${JSON.stringify({ ...provisioning, ...overrides }, null, 2)}\n`, {
    mode: 0o600,
  });
  return path;
}

/**
 * `edgefleet agent start` as a child process on any free API port, one worker, short health
 * interval and probation; resolves once it serves its local API (installed models restored).
 * `extraArgs` are flag/value pairs; one naming a default flag replaces it.
 *
 * @example
 * const agent = await startAgentProcess(cfg, stateDir, ['--health-interval', '100ms']);
 */
export function startAgentProcess(
  configPath: string,
  stateDir: string,
  extraArgs: readonly string[] = [],
): Promise<AgentProcess> {
  const defaults: Record<string, string> = {
    '--workers': '1',
    '--health-interval': '1s',
    '--probation': '1s',
    '--log-level': 'warn',
  };
  for (let i = 0; i < extraArgs.length; i += 2) delete defaults[extraArgs[i] ?? ''];
  return spawnEdgefleet<AgentStartInfo>([
    'agent',
    'start',
    '--config',
    configPath,
    '--state-dir',
    stateDir,
    '--api-port',
    '0',
    ...Object.entries(defaults).flat(),
    ...extraArgs,
  ]);
}

/** A predict response of the local API. */
export interface PredictReply {
  status: number;
  body: { version?: string; predictions?: unknown[]; error?: { code: string } };
}

/**
 * POSTs one PM row to the agent's local API.
 *
 * @example
 * expect((await predict(agent.info.apiUrl)).body.version).toBe('1.0.0');
 */
export async function predict(
  apiUrl: string,
  rows: readonly (readonly number[])[] = [PM_ROW],
  model = 'pm',
): Promise<PredictReply> {
  const res = await fetch(`${apiUrl}/v1/models/${model}/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ inputs: rows }),
  });
  return { status: res.status, body: (await res.json()) as PredictReply['body'] };
}

/**
 * Runs one read-only query on a SQLite file another process writes (WAL), closing at once so
 * no handle outlives the call.
 *
 * @example
 * const rows = queryDb<{ step: string }>(join(stateDir, 'agent.db'), 'SELECT step FROM converge_executions');
 */
export function queryDb<T>(file: string, sql: string, ...params: unknown[]): T[] {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

/** A read-only connection kept open, for polling another process's SQLite file fast. */
export interface DbReader {
  get<T>(sql: string, ...params: unknown[]): T | undefined;
  close(): void;
}

/**
 * Opens `file` read-only for repeated polling (each `get` is its own read transaction, so it
 * sees what the writer committed last). WAL readers never block the writer.
 *
 * @example
 * const reader = openDbReader(join(stateDir, 'agent.db'));
 * reader.get<{ step: string }>('SELECT step FROM converge_executions WHERE execution_id = ?', id);
 */
export function openDbReader(file: string): DbReader {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  const statements = new Map<string, Database.Statement>();
  return {
    get<T>(sql: string, ...params: unknown[]) {
      let st = statements.get(sql);
      if (st === undefined) {
        st = db.prepare(sql);
        statements.set(sql, st);
      }
      return st.get(...params) as T | undefined;
    },
    close: () => db.close(),
  };
}

/**
 * A loopback URL where nothing listens (a port bound then released): a broker that is down.
 *
 * @example
 * await writeDeviceConfig(cfg, provisioning, { brokerUrl: await deadBrokerUrl() });
 */
export async function deadBrokerUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || address === null) throw new Error('no port from bind(0)');
  return `mqtt://127.0.0.1:${address.port}`;
}

/**
 * The value of one Prometheus sample in `text` (0 when absent), e.g. a hub counter.
 *
 * @example
 * metricValue(hub.metrics.text(), 'edgefleet_hub_telemetry_duplicates_total');
 */
export function metricValue(text: string, name: string, labels = ''): number {
  const wanted = labels === '' ? name : `${name}{${labels}}`;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    if (line.slice(0, space) === wanted) return Number(line.slice(space + 1));
  }
  return 0;
}
