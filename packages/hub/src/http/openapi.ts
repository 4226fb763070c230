/**
 * Builds the OpenAPI 3.1 document from the route specs: the paths, methods, parameters, bodies
 * and responses the router serves, with JSON schemas generated from the zod schemas it
 * validates with (`z.toJSONSchema`).
 */
import { z } from 'zod';
import {
  DeploymentViewSchema,
  DeviceViewSchema,
  EnrollResultSchema,
  ErrorBodySchema,
  HealthzSchema,
  ReleaseViewSchema,
} from './api-schemas.js';
import type { RouteSpec } from './route-spec.js';

const NAMED: readonly (readonly [string, z.ZodType])[] = [
  ['ReleaseView', ReleaseViewSchema],
  ['DeviceView', DeviceViewSchema],
  ['EnrollResult', EnrollResultSchema],
  ['DeploymentView', DeploymentViewSchema],
  ['Error', ErrorBodySchema],
  ['Healthz', HealthzSchema],
];

type JsonSchema = Record<string, unknown>;

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });

/** Converts a set of schemas at once so that shared ones become `$ref`s between components. */
function components(entries: Map<z.ZodType, string>, io: 'input' | 'output') {
  const registry = z.registry<{ id: string }>();
  for (const [schema, id] of entries) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, {
    uri: (id) => `#/components/schemas/${id}`,
    unrepresentable: 'any',
    io,
  });
  const out: Record<string, JsonSchema> = {};
  for (const [id, schema] of Object.entries(schemas)) {
    const { $schema: _s, $id: _i, ...rest } = schema as JsonSchema;
    out[id] = rest;
  }
  return out;
}

function inline(schema: z.ZodType): JsonSchema {
  const { $schema: _s, ...rest } = z.toJSONSchema(schema, {
    unrepresentable: 'any',
    io: 'input',
  }) as JsonSchema;
  return rest;
}

function parameters(route: RouteSpec): JsonSchema[] {
  const out: JsonSchema[] = [];
  for (const [name, schema] of Object.entries(route.params ?? {})) {
    out.push({ name, in: 'path', required: true, schema: inline(schema) });
  }
  if (route.query !== undefined) {
    const q = inline(route.query);
    const props = (q['properties'] ?? {}) as Record<string, JsonSchema>;
    const required = new Set((q['required'] ?? []) as string[]);
    for (const [name, schema] of Object.entries(props)) {
      out.push({ name, in: 'query', required: required.has(name), schema });
    }
  }
  return out;
}

function security(route: RouteSpec): JsonSchema[] | undefined {
  if (route.auth === 'none') return [];
  if (route.auth === 'operator') return [{ operatorToken: [] }];
  return [{ operatorToken: [] }, { deviceBasic: [] }];
}

/**
 * The OpenAPI 3.1 document for `routes`.
 *
 * @example
 * const doc = buildOpenApi(routes, '0.1.0');
 * doc.paths['/v1/releases'].post.operationId; // 'publishRelease'
 */
export function buildOpenApi(routes: readonly RouteSpec[], version: string): JsonSchema {
  const responseIds = new Map<z.ZodType, string>(NAMED.map(([id, s]) => [s, id]));
  const requestIds = new Map<z.ZodType, string>();
  for (const route of routes) {
    if (route.body?.kind === 'json' && !requestIds.has(route.body.schema)) {
      requestIds.set(route.body.schema, `${route.operationId}Request`);
    }
    for (const [status, res] of Object.entries(route.responses)) {
      if (res.schema !== undefined && !responseIds.has(res.schema)) {
        responseIds.set(res.schema, `${route.operationId}${status}`);
      }
    }
  }
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of routes) {
    const responses: Record<string, JsonSchema> = {};
    for (const [status, res] of Object.entries(route.responses)) {
      const content =
        res.schema !== undefined
          ? { 'application/json': { schema: ref(responseIds.get(res.schema) ?? '') } }
          : res.raw !== undefined
            ? { [res.raw.contentType]: { schema: res.raw.schema } }
            : undefined;
      const headers =
        res.headers === undefined
          ? undefined
          : Object.fromEntries(
              Object.entries(res.headers).map(([h, d]) => [
                h,
                { description: d, schema: { type: 'string' } },
              ]),
            );
      responses[status] = {
        description: res.description,
        ...(content === undefined ? {} : { content }),
        ...(headers === undefined ? {} : { headers }),
      };
    }
    const body =
      route.body === undefined
        ? undefined
        : route.body.kind === 'json'
          ? {
              required: true,
              content: {
                'application/json': { schema: ref(requestIds.get(route.body.schema) ?? '') },
              },
            }
          : {
              required: true,
              description: `${route.body.description} At most ${route.body.maxBytes} bytes.`,
              content: {
                'application/octet-stream': {
                  schema: { type: 'string', contentMediaType: 'application/octet-stream' },
                },
              },
            };
    const operation: JsonSchema = {
      operationId: route.operationId,
      summary: route.summary,
      tags: [route.tag],
      security: security(route),
      parameters: parameters(route),
      ...(body === undefined ? {} : { requestBody: body }),
      responses,
    };
    const item = (paths[route.path] ??= {});
    item[route.method.toLowerCase()] = operation;
    if (route.head === true) {
      item['head'] = { ...operation, operationId: `${route.operationId}Head` };
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'edgefleet hub',
      version,
      description:
        'Releases, devices, deployments and bundle downloads of an edgefleet hub. Errors are { error: { code, message, details? } } with a stable EF_* code.',
    },
    paths,
    components: {
      securitySchemes: {
        operatorToken: {
          type: 'http',
          scheme: 'bearer',
          description: 'The operator token the hub wrote to <data>/operator.token.',
        },
        deviceBasic: {
          type: 'http',
          scheme: 'basic',
          description: 'A device id and secret from its device.json (blob downloads only).',
        },
      },
      schemas: { ...components(responseIds, 'output'), ...components(requestIds, 'input') },
    },
  };
}
