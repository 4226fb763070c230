/** Unauthenticated routes: liveness, Prometheus metrics and the OpenAPI document. */
import { EmptyQuerySchema, HealthzSchema } from '../api-schemas.js';
import { defineRoute } from '../route-spec.js';
import type { RouteSpec } from '../route-spec.js';
import { errorResponses } from './error-responses.js';

/** Prometheus text exposition format 0.0.4. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * The system routes; `openApi` returns the document describing every route (itself included).
 *
 * @example
 * const routes = [...systemRoutes(() => doc), ...releaseRoutes];
 */
export function systemRoutes(openApi: () => unknown): readonly RouteSpec[] {
  return [
    defineRoute({
      method: 'GET',
      head: true,
      path: '/healthz',
      operationId: 'healthz',
      summary: 'Liveness: 200 while the HTTP API answers.',
      tag: 'system',
      auth: 'none',
      query: EmptyQuerySchema,
      responses: { 200: { description: 'Alive.', schema: HealthzSchema } },
      handle: async () => ({ status: 200, json: { ok: true } }),
    }),
    defineRoute({
      method: 'GET',
      path: '/metrics',
      operationId: 'metrics',
      summary:
        'Prometheus metrics: devices online, messages in, rejects by reason, blob bytes served, ingest lag.',
      tag: 'system',
      auth: 'none',
      query: EmptyQuerySchema,
      responses: {
        200: {
          description: 'Prometheus text exposition.',
          raw: { contentType: 'text/plain', schema: { type: 'string' } },
        },
        ...errorResponses(400),
      },
      handle: async ({ api }) => ({
        status: 200,
        text: await api.metricsText(),
        contentType: PROMETHEUS_CONTENT_TYPE,
      }),
    }),
    defineRoute({
      method: 'GET',
      path: '/openapi.json',
      operationId: 'openapi',
      summary: 'This API as an OpenAPI 3.1 document.',
      tag: 'system',
      auth: 'none',
      query: EmptyQuerySchema,
      responses: {
        200: {
          description: 'The OpenAPI document.',
          raw: { contentType: 'application/json', schema: { type: 'object' } },
        },
      },
      handle: async () => ({ status: 200, json: openApi() }),
    }),
  ];
}
