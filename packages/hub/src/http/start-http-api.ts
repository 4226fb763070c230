/**
 * The hub's HTTP API (issue 5): REST over `HubApi` on node:http, with `/openapi.json`,
 * `/healthz` and Prometheus `/metrics`. Operators authenticate with a bearer token; devices may
 * download blobs with HTTP Basic auth.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { createRequire } from 'node:module';
import type { Logger } from 'pino';
import type { HubApi } from '../api/hub-api.js';
import { HttpApiError } from './http-errors.js';
import { buildOpenApi } from './openapi.js';
import { createRouter } from './router.js';
import type { RouteSpec } from './route-spec.js';
import { blobRoutes } from './routes/blobs-routes.js';
import { deploymentRoutes } from './routes/deployments-routes.js';
import { deviceRoutes } from './routes/devices-routes.js';
import { releaseRoutes } from './routes/releases-routes.js';
import { rolloutRoutes } from './routes/rollouts-routes.js';
import { systemRoutes } from './routes/system-routes.js';

export interface HttpApiOptions {
  readonly api: HubApi;
  /** TCP port; 0 picks a free one. */
  readonly port: number;
  readonly host: string;
  /** True when `token` is the operator token (the caller compares in constant time). */
  authenticateOperator(token: string): boolean;
  /** True when `secret` is the current secret of the enrolled, unrevoked device `id`. */
  authenticateDevice(id: string, secret: string): Promise<boolean>;
  readonly logger: Logger;
}

export interface RunningHttpApi {
  /** `http://<host>:<port>` */
  readonly url: string;
  /** The port actually bound. */
  readonly port: number;
  /** Stops listening and cuts every open connection (downloads included). */
  close(): Promise<void>;
}

// An upload of the largest bundle on a slow link takes a while; idle sockets do not.
const REQUEST_TIMEOUT_MS = 30 * 60 * 1000;
const HEADERS_TIMEOUT_MS = 60 * 1000;
const KEEP_ALIVE_TIMEOUT_MS = 5 * 1000;

const require = createRequire(import.meta.url);

function hubVersion(): string {
  try {
    return (require('../../package.json') as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

/** Every route the API serves, in the order the OpenAPI document lists them. */
export function apiRoutes(): readonly RouteSpec[] {
  let doc: unknown;
  const routes: RouteSpec[] = [];
  routes.push(
    ...systemRoutes(() => (doc ??= buildOpenApi(routes, hubVersion()))),
    ...releaseRoutes,
    ...deviceRoutes,
    ...deploymentRoutes,
    ...rolloutRoutes,
    ...blobRoutes,
  );
  return routes;
}

function checkOptions(options: HttpApiOptions): void {
  const { port, host } = options;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new HttpApiError('EF_HUB_HTTP_OPTIONS', `port must be an integer 0..65535, got ${port}`);
  }
  if (typeof host !== 'string' || host.length === 0) {
    throw new HttpApiError('EF_HUB_HTTP_OPTIONS', 'host must be a non-empty string');
  }
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      reject(
        err.code === 'EADDRINUSE'
          ? new HttpApiError(
              'EF_HUB_HTTP_PORT_IN_USE',
              `port ${port} on ${host} is already in use (another hub?): pick another --http-port or stop the other process`,
              { port, host },
              { cause: err },
            )
          : new HttpApiError(
              'EF_HUB_HTTP_LISTEN',
              `cannot listen on ${host}:${port}: ${err.message}`,
              { port, host, errno: err.code },
              { cause: err },
            ),
      );
    };
    const onListening = () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

/** Answers what node:http could not parse (garbage, huge headers) and closes the socket. */
function onClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  if (!socket.writable || (socket as Socket & { _httpMessage?: unknown })._httpMessage) {
    socket.destroy();
    return;
  }
  const [status, text] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout']
        : [400, 'Bad Request'];
  const body = JSON.stringify({
    error: { code: 'EF_HUB_HTTP_VALIDATION', message: `unparsable HTTP request: ${text}` },
  });
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/**
 * Starts the HTTP API. Throws `EF_HUB_HTTP_PORT_IN_USE` when the port is taken,
 * `EF_HUB_HTTP_LISTEN` for other listen failures, `EF_HUB_HTTP_OPTIONS` for bad options.
 *
 * @example
 * const http = await startHttpApi({ api, port: 8080, host: '127.0.0.1', logger,
 *   authenticateOperator: (t) => tokens.check(t), authenticateDevice: (id, s) => devices.check(id, s) });
 * console.log(http.url); // http://127.0.0.1:8080
 * await http.close();
 */
export async function startHttpApi(options: HttpApiOptions): Promise<RunningHttpApi> {
  checkOptions(options);
  const logger = options.logger.child({ component: 'http' });
  const router = createRouter(
    apiRoutes(),
    options.api,
    {
      authenticateOperator: (token) => options.authenticateOperator(token),
      authenticateDevice: (id, secret) => options.authenticateDevice(id, secret),
    },
    logger,
  );
  const server = createServer({
    requestTimeout: REQUEST_TIMEOUT_MS,
    headersTimeout: HEADERS_TIMEOUT_MS,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
  });
  server.on('request', (req, res) => {
    const started = Date.now();
    res.once('finish', () =>
      logger.debug(
        { method: req.method, url: req.url, status: res.statusCode, ms: Date.now() - started },
        'HTTP request',
      ),
    );
    void router.dispatch(req, res);
  });
  server.on('clientError', onClientError);
  const port = await listen(server, options.port, options.host);
  const urlHost = options.host.includes(':') ? `[${options.host}]` : options.host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
