/**
 * Matches a request to a route, authenticates it, validates its parameters, query and body,
 * calls the handler and writes the reply. Every failure becomes a JSON error answer; nothing a
 * client sends can throw out of `dispatch`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { HubApi } from '../api/hub-api.js';
import { HttpApiError } from './http-errors.js';
import { authorize } from './request-auth.js';
import type { Authenticators } from './request-auth.js';
import { readBinaryBody, readJsonBody } from './request-body.js';
import { sendError, sendReply } from './respond.js';
import type { HttpMethod, RouteSpec } from './route-spec.js';
import { validateInput } from './validation.js';

interface CompiledRoute {
  readonly spec: RouteSpec;
  /** Literal segments, or `{name}` for a parameter. */
  readonly segments: readonly string[];
}

export interface Router {
  dispatch(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

function splitPath(pathname: string): string[] | undefined {
  const trimmed = pathname.length > 1 && pathname.endsWith('/') ? pathname.slice(0, -1) : pathname;
  try {
    return trimmed.split('/').slice(1).map(decodeURIComponent);
  } catch {
    return undefined;
  }
}

function matchSegments(
  route: CompiledRoute,
  segments: readonly string[],
): Record<string, string> | undefined {
  if (route.segments.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const want = route.segments[i] ?? '';
    const got = segments[i] ?? '';
    if (want.startsWith('{')) params[want.slice(1, -1)] = got;
    else if (want !== got) return undefined;
  }
  return params;
}

function queryObject(params: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of params) {
    const prev = out[k];
    out[k] = prev === undefined ? v : [...(Array.isArray(prev) ? prev : [prev]), v];
  }
  return out;
}

function allowedMethods(route: RouteSpec): HttpMethod[] {
  return route.head === true ? [route.method, 'HEAD'] : [route.method];
}

/**
 * A router over `routes`.
 *
 * @example
 * const router = createRouter(routes, api, authenticators, logger);
 * server.on('request', (req, res) => void router.dispatch(req, res));
 */
export function createRouter(
  routes: readonly RouteSpec[],
  api: HubApi,
  authenticators: Authenticators,
  logger: Logger,
): Router {
  const compiled: CompiledRoute[] = routes.map((spec) => ({
    spec,
    segments: spec.path.split('/').slice(1),
  }));

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Split by hand: `new URL('//x/y', base)` would read `x` as a host.
    const raw = req.url ?? '/';
    const q = raw.indexOf('?');
    const url = {
      pathname: q < 0 ? raw : raw.slice(0, q),
      searchParams: new URLSearchParams(q < 0 ? '' : raw.slice(q + 1)),
    };
    const segments = url.pathname.startsWith('/') ? splitPath(url.pathname) : undefined;
    if (segments === undefined) {
      throw new HttpApiError(
        'EF_HUB_HTTP_VALIDATION',
        'the request path is not an absolute path of valid UTF-8',
      );
    }
    const matches = compiled
      .map((route) => ({ route, params: matchSegments(route, segments) }))
      .filter((m) => m.params !== undefined);
    if (matches.length === 0) {
      throw new HttpApiError(
        'EF_HUB_HTTP_NO_ROUTE',
        `no route ${url.pathname}; GET /openapi.json lists the routes`,
        { path: url.pathname },
      );
    }
    const method = (req.method ?? 'GET').toUpperCase();
    const match = matches.find((m) => allowedMethods(m.route.spec).includes(method as HttpMethod));
    if (match === undefined) {
      const allow = [...new Set(matches.flatMap((m) => allowedMethods(m.route.spec)))];
      res.setHeader('allow', allow.join(', '));
      throw new HttpApiError(
        'EF_HUB_HTTP_METHOD',
        `${method} is not allowed on ${url.pathname}; allowed: ${allow.join(', ')}`,
        { method, allow },
      );
    }
    const spec = match.route.spec;
    await authorize(req, spec.auth, authenticators);
    const params: Record<string, string> = {};
    for (const [name, value] of Object.entries(match.params ?? {})) {
      const schema = spec.params?.[name];
      params[name] =
        schema === undefined ? value : validateInput(schema, value, `path parameter '${name}'`);
    }
    const query =
      spec.query === undefined
        ? {}
        : validateInput(spec.query, queryObject(url.searchParams), 'the query string');
    const body =
      spec.body === undefined
        ? undefined
        : spec.body.kind === 'json'
          ? await readJsonBody(req, spec.body.schema)
          : await readBinaryBody(req, spec.body.maxBytes);
    const reply = await spec.handle({
      api,
      method: method as HttpMethod,
      params,
      query,
      body,
      headers: req.headers,
    });
    await sendReply(req, res, reply);
  }

  return {
    async dispatch(req, res) {
      try {
        await handle(req, res);
      } catch (err) {
        try {
          sendError(req, res, err, logger);
        } catch (fatal) {
          // Even the error answer failed (e.g. details that cannot be serialised): cut the
          // connection rather than let a rejection escape into the process.
          logger.error({ err: fatal }, 'HTTP error answer failed');
          res.destroy();
        }
      }
    },
  };
}
