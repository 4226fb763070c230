/** Starts the real HTTP API over a fake HubApi on port 0, and talks to it. */
import { request } from 'node:http';
import { pino } from 'pino';
import { startHttpApi } from '../../src/http/start-http-api.js';
import type { RunningHttpApi } from '../../src/http/start-http-api.js';
import { FakeHubApi } from './fake-hub-api.js';

export const OPERATOR_TOKEN = 'test-operator-token-5f1c2a9e7b3d';

export interface TestApi extends RunningHttpApi {
  readonly api: FakeHubApi;
  /** Log lines the API wrote (pino JSON). */
  readonly logs: string[];
}

/**
 * The HTTP API on 127.0.0.1:0 over a fresh fake; the operator token is {@link OPERATOR_TOKEN}.
 *
 * @example
 * const hub = await startTestApi();
 * afterEach(() => hub.close());
 */
export async function startTestApi(api = new FakeHubApi()): Promise<TestApi> {
  const logs: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(line) });
  const http = await startHttpApi({
    api,
    port: 0,
    host: '127.0.0.1',
    logger,
    authenticateOperator: (token) => token === OPERATOR_TOKEN,
    authenticateDevice: (id, secret) => api.checkDeviceSecret(id, secret),
  });
  return { ...http, close: () => http.close(), api, logs };
}

export const operator = { authorization: `Bearer ${OPERATOR_TOKEN}` };

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  json(): unknown;
}

/**
 * One request with node:http (fetch hides HEAD bodies, Range quirks and early answers).
 *
 * @example
 * const res = await send(hub.url, 'GET', '/healthz');
 */
export function send(
  base: string,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: Buffer | string } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const { hostname, port } = new URL(base);
    const target = { hostname, port, path, method, headers: options.headers ?? {} };
    const req = request(target, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body,
          json: () => JSON.parse(body.toString('utf8')) as unknown,
        });
      });
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** `send` with the operator token and, for an object body, JSON. */
export function sendAsOperator(
  base: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<RawResponse> {
  const json = body !== undefined && !Buffer.isBuffer(body);
  return send(base, method, path, {
    headers: { ...operator, ...(json ? { 'content-type': 'application/json' } : {}) },
    ...(body === undefined ? {} : { body: Buffer.isBuffer(body) ? body : JSON.stringify(body) }),
  });
}
