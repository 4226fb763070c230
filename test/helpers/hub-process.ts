/**
 * `edgefleet hub start` as a child process for end-to-end tests, and a small client of its HTTP
 * API (operator token) for waiting on observable state: devices, releases, rollouts, events.
 */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { DeviceView, RolloutEventView, RolloutProgressView } from '@edgefleet/hub';
import { spawnEdgefleet } from './spawn-process.js';
import type { RunningProcess } from './spawn-process.js';
import { waitFor } from './wait-for.js';

/** What `hub start --json` prints. */
export interface HubStartInfo {
  ok: boolean;
  httpUrl: string;
  brokerUrl: string;
  publicBrokerUrl: string;
  dataDir: string;
  operatorTokenPath: string;
}

/** Options of {@link startHubProcess}. */
export interface HubProcessOptions {
  /** The hub's data directory (kept across a restart). */
  readonly dataDir: string;
  /** Holds keyring.json and deploy.key (see `TrustFixture.writeTo`). */
  readonly keysDir: string;
  /** Fixed ports, so a restarted hub is found where the agents left it; default 0. */
  readonly httpPort?: number;
  readonly mqttPort?: number;
  /** An external broker (Mosquitto) instead of the embedded one. */
  readonly brokerUrl?: string;
}

/** A hub process and an operator client of its HTTP API. */
export interface HubProcess {
  readonly proc: RunningProcess<HubStartInfo>;
  readonly api: HubHttp;
}

/**
 * A free loopback TCP port (bound then released), for a hub that must come back on the same one.
 *
 * @example
 * const port = await freePort();
 */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || address === null) throw new Error('no port from bind(0)');
  return address.port;
}

/** The hub's HTTP API with the operator token; every call throws on a non-2xx answer. */
export class HubHttp {
  constructor(
    readonly url: string,
    readonly token: string,
  ) {}

  async #call<T>(method: string, path: string, body?: Buffer | object): Promise<T> {
    const binary = Buffer.isBuffer(body);
    const res = await fetch(new URL(path, this.url), {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body === undefined
          ? {}
          : { 'content-type': binary ? 'application/octet-stream' : 'application/json' }),
      },
      ...(body === undefined ? {} : { body: binary ? body : JSON.stringify(body) }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${text}`);
    return JSON.parse(text) as T;
  }

  get<T>(path: string): Promise<T> {
    return this.#call<T>('GET', path);
  }

  post<T>(path: string, body: Buffer | object): Promise<T> {
    return this.#call<T>('POST', path, body);
  }

  device(id: string): Promise<DeviceView> {
    return this.get<DeviceView>(`/v1/devices/${encodeURIComponent(id)}`);
  }

  devices(selector: string): Promise<DeviceView[]> {
    return this.get<DeviceView[]>(`/v1/devices?selector=${encodeURIComponent(selector)}`);
  }

  rollout(id: string): Promise<RolloutProgressView> {
    return this.get<RolloutProgressView>(`/v1/rollouts/${id}`);
  }

  /** Every event of a rollout, paging past the API's 1000 per call. */
  async events(id: string): Promise<RolloutEventView[]> {
    const all: RolloutEventView[] = [];
    for (;;) {
      const after = all.at(-1)?.id;
      const page = await this.get<RolloutEventView[]>(
        `/v1/rollouts/${id}/events${after === undefined ? '' : `?after=${after}`}`,
      );
      all.push(...page);
      if (page.length < 1000) return all;
    }
  }

  /** Publishes a signed bundle (the `.efb` bytes). */
  async publish(efbPath: string): Promise<void> {
    await this.post('/v1/releases', await readFile(efbPath));
  }
}

/**
 * Starts `edgefleet hub start --json` from source on loopback with the test's keys and waits
 * until it printed where it listens. Logs only warnings (stderr, kept for diagnostics).
 *
 * @example
 * const hub = await startHubProcess({ dataDir: join(dir, 'hub'), keysDir: join(dir, 'keys') });
 * await hub.api.publish(v1);
 */
export async function startHubProcess(options: HubProcessOptions): Promise<HubProcess> {
  const broker =
    options.brokerUrl === undefined
      ? ['--mqtt-port', String(options.mqttPort ?? 0)]
      : ['--broker', options.brokerUrl];
  const proc = await spawnEdgefleet<HubStartInfo>([
    'hub',
    'start',
    '--data',
    options.dataDir,
    '--host',
    '127.0.0.1',
    '--http-port',
    String(options.httpPort ?? 0),
    ...broker,
    '--keyring',
    join(options.keysDir, 'keyring.json'),
    '--deploy-key',
    join(options.keysDir, 'deploy.key'),
    '--log-level',
    'warn',
  ]);
  const token = (await readFile(proc.info.operatorTokenPath, 'utf8')).trim();
  return { proc, api: new HubHttp(proc.info.httpUrl, token) };
}

/**
 * Restarts a hub on the same data and fixed ports, retrying while the old process's ports are
 * still being released.
 *
 * @example
 * const again = await restartHubProcess({ dataDir, keysDir, httpPort, mqttPort });
 */
export function restartHubProcess(options: HubProcessOptions): Promise<HubProcess> {
  return waitFor(
    async () => {
      try {
        return await startHubProcess(options);
      } catch (err) {
        if (/EF_HUB_PORT_IN_USE|EADDRINUSE/.test(String(err))) return undefined;
        throw err;
      }
    },
    60_000,
    'the hub starts again on its ports',
    250,
  );
}
