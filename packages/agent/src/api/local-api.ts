/**
 * The agent's local API for apps on the device: loopback HTTP and, optionally, a unix socket
 * (DESIGN section 8). Both listeners share one handler.
 */
import { chmod, lstat, unlink } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';

import { ApiError } from './api-errors.js';
import { createApiHandler, type ApiModelHost } from './api-routes.js';

export interface LocalApiOptions {
  /** The model host that answers predictions and lists models. */
  host: ApiModelHost;
  /**
   * TCP port; default 8787, 0 = any free port. TCP is served when a port is given or when no
   * unix socket is; give both to serve both.
   */
  port?: number;
  /** TCP address; default 127.0.0.1 (loopback only). */
  address?: string;
  /** A unix socket path; a stale socket file is removed first; the socket gets mode 0660. */
  socketPath?: string;
  /** Extra fields for GET /healthz (uptime, outbox depth...). */
  health?: () => Record<string, unknown>;
  /** Largest JSON body; default 4 MiB (1,024 rows of a few hundred features). */
  maxJsonBytes?: number;
  /** Largest image body; default 16 MiB. */
  maxImageBytes?: number;
}

export interface LocalApi {
  /** `http://<address>:<port>` when TCP is served. */
  url?: string;
  port?: number;
  socketPath?: string;
  close(): Promise<void>;
}

/**
 * Starts the local API.
 *
 * @throws ApiError EF_AGENT_API_LISTEN (port in use, socket path in use or not a socket),
 *   EF_AGENT_API_OPTIONS.
 * @example
 * const api = await startLocalApi({ host, port: 0, socketPath: '/run/edgefleet/agent.sock' });
 * await fetch(`${api.url}/v1/models/pm/predict`, { method: 'POST', body: '{"inputs":[[...]]}' });
 * await api.close();
 */
export async function startLocalApi(options: LocalApiOptions): Promise<LocalApi> {
  const tcp = options.port !== undefined || options.socketPath === undefined;
  const port = options.port ?? 8787;
  const address = options.address ?? '127.0.0.1';
  for (const [name, value] of [
    ['maxJsonBytes', options.maxJsonBytes],
    ['maxImageBytes', options.maxImageBytes],
  ] as const) {
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 1)) {
      throw new ApiError('EF_AGENT_API_OPTIONS', `${name} must be a positive integer`, {
        [name]: value,
      });
    }
  }
  if (!Number.isSafeInteger(port) || port < 0 || port > 65535) {
    throw new ApiError('EF_AGENT_API_OPTIONS', `port must be an integer in 0..65535, got ${port}`);
  }
  const handler = createApiHandler({
    host: options.host,
    ...(options.health === undefined ? {} : { health: options.health }),
    maxJsonBytes: options.maxJsonBytes ?? 4 * 1024 * 1024,
    maxImageBytes: options.maxImageBytes ?? 16 * 1024 * 1024,
  });
  const servers: Server[] = [];
  const api: LocalApi = {
    async close() {
      await Promise.all(servers.map(closeServer));
      // Only a socket this API created is removed, never a file it refused to replace.
      if (api.socketPath !== undefined) await unlink(api.socketPath).catch(() => undefined);
    },
  };
  try {
    if (tcp) {
      const server = createServer({ keepAlive: true }, handler);
      servers.push(server);
      await listen(server, () => server.listen(port, address), `${address}:${port}`);
      const bound = server.address();
      api.port = typeof bound === 'object' && bound !== null ? bound.port : port;
      api.url = `http://${address.includes(':') ? `[${address}]` : address}:${api.port}`;
    }
    if (options.socketPath !== undefined) {
      const socketPath = options.socketPath;
      await removeStaleSocket(socketPath);
      const server = createServer({ keepAlive: true }, handler);
      servers.push(server);
      await listen(server, () => server.listen(socketPath), socketPath);
      api.socketPath = socketPath;
      // Apps of the agent's group may call it; other users may not.
      await chmod(socketPath, 0o660);
    }
  } catch (err) {
    await api.close();
    throw err;
  }
  return api;
}

function listen(server: Server, start: () => void, where: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(
        new ApiError(
          'EF_AGENT_API_LISTEN',
          `the local API cannot listen on ${where}: ${err.message}`,
          {
            where,
            errno: err.code,
          },
        ),
      );
    };
    server.once('error', onError);
    server.once('listening', () => {
      server.off('error', onError);
      resolve();
    });
    start();
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** Removes a socket file left by a previous run; refuses a live socket or a non-socket file. */
async function removeStaleSocket(path: string): Promise<void> {
  const stat = await lstat(path).catch(() => undefined);
  if (stat === undefined) return;
  if (!stat.isSocket()) {
    throw new ApiError(
      'EF_AGENT_API_LISTEN',
      `${path} exists and is not a socket; not removing it`,
      {
        where: path,
      },
    );
  }
  const live = await new Promise<boolean>((resolve) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (live) {
    throw new ApiError('EF_AGENT_API_LISTEN', `another process is listening on ${path}`, {
      where: path,
    });
  }
  await unlink(path);
}
