import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { send, startTestApi } from './http-test-server.js';
import type { TestApi } from './http-test-server.js';

let hub: TestApi;
beforeEach(async () => {
  hub = await startTestApi();
});
afterEach(async () => {
  await hub.close();
});

/** Every route the issue asks for; the document must list exactly these. */
const EXPECTED = [
  'get /healthz',
  'head /healthz',
  'get /metrics',
  'get /openapi.json',
  'post /v1/releases',
  'get /v1/releases',
  'get /v1/releases/{name}',
  'get /v1/releases/{name}/{version}',
  'post /v1/devices',
  'get /v1/devices',
  'get /v1/devices/{id}',
  'patch /v1/devices/{id}/tags',
  'post /v1/devices/{id}/revoke',
  'post /v1/deployments',
  'get /v1/blobs/{sha256}',
  'head /v1/blobs/{sha256}',
  'post /v1/rollouts',
  'get /v1/rollouts',
  'get /v1/rollouts/{id}',
  'get /v1/rollouts/{id}/events',
  'post /v1/rollouts/{id}/pause',
  'post /v1/rollouts/{id}/resume',
  'post /v1/rollouts/{id}/abort',
  'post /v1/rollouts/{id}/rollback',
];

interface Doc {
  openapi: string;
  paths: Record<string, Record<string, Record<string, unknown>>>;
  components: { schemas: Record<string, Record<string, unknown>> };
}

describe('system routes (no credentials needed)', () => {
  it('GET /healthz', async () => {
    const res = await send(hub.url, 'GET', '/healthz');
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ ok: true });
  });

  it('GET /metrics is the Prometheus text of api.metricsText()', async () => {
    const res = await send(hub.url, 'GET', '/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(res.body.toString()).toContain('edgefleet_devices_online 0');
  });

  it('GET /openapi.json is OpenAPI 3.1 listing every route with its schemas', async () => {
    const res = await send(hub.url, 'GET', '/openapi.json');
    expect(res.status).toBe(200);
    const doc = res.json() as Doc;
    expect(doc.openapi).toBe('3.1.0');
    const listed = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.keys(item).map((m) => `${m} ${path}`),
    );
    expect(listed.sort()).toEqual([...EXPECTED].sort());
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        expect(op['operationId'], `${method} ${path}`).toEqual(expect.any(String));
        expect(Object.keys(op['responses'] as object).length).toBeGreaterThan(0);
      }
    }
    // Request and response schemas are the zod schemas the router checks with.
    const enroll = doc.paths['/v1/devices']?.['post'] as {
      requestBody: { content: { 'application/json': { schema: { $ref: string } } } };
      responses: Record<string, { content: { 'application/json': { schema: { $ref: string } } } }>;
    };
    const ref = enroll.requestBody.content['application/json'].schema.$ref;
    const request = doc.components.schemas[ref.split('/').at(-1) as string];
    expect(request).toMatchObject({
      type: 'object',
      required: ['id'],
      additionalProperties: false,
    });
    expect(enroll.responses['201']?.content['application/json'].schema.$ref).toBe(
      '#/components/schemas/EnrollResult',
    );
    expect(doc.components.schemas['ReleaseView']).toMatchObject({
      properties: { manifest: { type: 'object' } },
    });
    // Every $ref points at a component.
    const refs = JSON.stringify(doc).match(/#\/components\/schemas\/[A-Za-z0-9]+/g) ?? [];
    for (const r of refs)
      expect(doc.components.schemas).toHaveProperty(r.split('/').at(-1) as string);
    // Operator routes name their security; the blob route also allows device Basic auth.
    expect(doc.paths['/v1/blobs/{sha256}']?.['get']?.['security']).toEqual([
      { operatorToken: [] },
      { deviceBasic: [] },
    ]);
    expect(doc.paths['/healthz']?.['get']?.['security']).toEqual([]);
  });
});
