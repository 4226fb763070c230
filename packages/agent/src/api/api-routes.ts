/**
 * The local API's routes (DESIGN section 8, issue 6):
 * - `GET /healthz` -> `{ ok, models, ...health() }`
 * - `GET /v1/models` -> `{ models: [{ name, version, sha256, state }] }`
 * - `POST /v1/models/<name>/predict` with a JSON body (`{"inputs": ...}` or
 *   `{"instances": ...}`) or an `image/jpeg` / `image/png` body.
 * Every failure is `{ "error": { "code", "message", "details"? } }` with its HTTP status.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

import { isEdgefleetError } from '@edgefleet/protocol';

import type { LocalModelHost } from '../inference/model-host-types.js';
import { ApiError, httpStatusOf } from './api-errors.js';
import { readBody } from './request-body.js';

/** What the API needs from the model host. */
export type ApiModelHost = Pick<LocalModelHost, 'predict' | 'list'>;

export interface ApiRouteOptions {
  host: ApiModelHost;
  health?: () => Record<string, unknown>;
  maxJsonBytes: number;
  maxImageBytes: number;
}

const PREDICT_PATH = /^\/v1\/models\/([^/]+)\/predict$/;
const IMAGE_TYPES = new Set(['image/jpeg', 'image/png']);
// Bodies read as JSON: besides application/json, the types curl -d and fetch(string) send by
// default, so the obvious one-liners work.
const JSON_TYPES = new Set(['application/json', 'text/plain', 'application/x-www-form-urlencoded']);

/**
 * The request listener shared by the TCP and unix-socket servers. It never throws: anything
 * unexpected becomes a 500 with EF_AGENT_API_INTERNAL.
 *
 * @example
 * http.createServer(createApiHandler({ host, maxJsonBytes: 1 << 20, maxImageBytes: 10 << 20 }));
 */
export function createApiHandler(
  options: ApiRouteOptions,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    route(options, req, res).catch((err: unknown) => sendError(req, res, err));
  };
}

async function route(
  options: ApiRouteOptions,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = req.url ?? '/';
  const query = url.indexOf('?');
  const path = query === -1 ? url : url.slice(0, query);
  const predict = PREDICT_PATH.exec(path);
  if (predict !== null) {
    allow(req, 'POST');
    const name = decodeName(predict[1]!);
    const request = await readPredictBody(options, req);
    sendJson(res, 200, await options.host.predict(name, request));
    return;
  }
  if (path === '/healthz') {
    allow(req, 'GET');
    sendJson(res, 200, { ok: true, models: options.host.list(), ...options.health?.() });
    return;
  }
  if (path === '/v1/models') {
    allow(req, 'GET');
    sendJson(res, 200, { models: options.host.list() });
    return;
  }
  throw new ApiError('EF_AGENT_API_NOT_FOUND', `no route ${req.method} ${path.slice(0, 200)}`);
}

async function readPredictBody(options: ApiRouteOptions, req: IncomingMessage): Promise<unknown> {
  const type = (req.headers['content-type'] ?? 'application/json')
    .split(';')[0]!
    .trim()
    .toLowerCase();
  if (IMAGE_TYPES.has(type)) return { image: await readBody(req, options.maxImageBytes) };
  if (!JSON_TYPES.has(type) && !type.endsWith('+json')) {
    throw new ApiError(
      'EF_AGENT_API_CONTENT_TYPE',
      `content type ${JSON.stringify(type.slice(0, 100))} is not accepted: send application/json, image/jpeg or image/png`,
    );
  }
  const body = await readBody(req, options.maxJsonBytes);
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch (err) {
    throw new ApiError(
      'EF_AGENT_API_JSON',
      `the body is not valid JSON: ${(err as Error).message}`,
    );
  }
}

function allow(req: IncomingMessage, method: 'GET' | 'POST'): void {
  if (req.method === method || (method === 'GET' && req.method === 'HEAD')) return;
  throw new ApiError('EF_AGENT_API_METHOD', `${req.url ?? ''} takes ${method}, not ${req.method}`, {
    allow: method,
  });
}

function decodeName(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new ApiError(
      'EF_AGENT_API_NOT_FOUND',
      'the model name in the path is not valid URL encoding',
    );
  }
}

function sendJson(
  res: ServerResponse,
  status: number,
  value: unknown,
  extra: Record<string, string> = {},
): void {
  const body = JSON.stringify(value);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    ...extra,
  });
  res.end(body);
}

function sendError(req: IncomingMessage, res: ServerResponse, err: unknown): void {
  const coded = isEdgefleetError(err)
    ? err
    : new ApiError(
        'EF_AGENT_API_INTERNAL',
        `the request failed unexpectedly: ${String((err as Error)?.message ?? err)}`,
      );
  const status = httpStatusOf(coded.code);
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  const extra: Record<string, string> = {};
  if (coded.code === 'EF_AGENT_API_METHOD') extra.allow = String(coded.details?.allow ?? '');
  // The unread rest of a refused body would be parsed as the next request: close instead.
  if (!req.complete) extra.connection = 'close';
  const error = {
    code: coded.code,
    message: coded.message,
    ...(coded.details === undefined ? {} : { details: coded.details }),
  };
  sendJson(res, status, { error }, extra);
}
