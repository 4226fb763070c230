/**
 * One HTTP route, described once: the router matches, authenticates and validates with it, and
 * `openapi.ts` documents it, so every served route is in `/openapi.json` by construction.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { z } from 'zod';
import type { HubApi } from '../api/hub-api.js';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PATCH';

/**
 * Who may call a route: nobody needs credentials (`none`), an operator bearer token, or either
 * that or a device's HTTP Basic credentials (blob downloads, so agents can fetch by range).
 */
export type RouteAuth = 'none' | 'operator' | 'operator-or-device';

/** What a route reads from the request body. */
export type BodySpec =
  | { readonly kind: 'json'; readonly schema: z.ZodType }
  | { readonly kind: 'binary'; readonly maxBytes: number; readonly description: string };

export interface ResponseSpec {
  readonly description: string;
  /** A JSON body of this schema; named ones become `components.schemas` entries. */
  readonly schema?: z.ZodType;
  /** A non-JSON body: its media type and a JSON schema of it for the document. */
  readonly raw?: { readonly contentType: string; readonly schema: Record<string, unknown> };
  readonly headers?: Readonly<Record<string, string>>;
}

/** A handler's answer: JSON, text, or a byte stream, with a status and extra headers. */
export type Reply =
  | { readonly status: number; readonly json: unknown; readonly headers?: Record<string, string> }
  | {
      readonly status: number;
      readonly text: string;
      readonly contentType: string;
      readonly headers?: Record<string, string>;
    }
  | {
      readonly status: number;
      /** Absent for HEAD and empty answers. */
      readonly stream?: NodeJS.ReadableStream;
      readonly headers: Record<string, string>;
    };

export interface RouteContext<Q, B> {
  readonly api: HubApi;
  readonly method: HttpMethod;
  readonly params: Readonly<Record<string, string>>;
  readonly query: Q;
  readonly body: B;
  readonly headers: IncomingHttpHeaders;
}

export interface RouteSpec {
  readonly method: Exclude<HttpMethod, 'HEAD'>;
  /** OpenAPI path template, e.g. `/v1/devices/{id}/tags`. */
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly tag: string;
  readonly auth: RouteAuth;
  /** Also answer HEAD (same handler; the router sends no body). */
  readonly head?: boolean;
  /** Schema of each `{param}` in the path. */
  readonly params?: Readonly<Record<string, z.ZodType<string>>>;
  readonly query?: z.ZodType;
  readonly body?: BodySpec;
  readonly responses: Readonly<Record<number, ResponseSpec>>;
  readonly handle: (ctx: RouteContext<unknown, unknown>) => Promise<Reply>;
}

/**
 * Declares a route with its handler typed by its query and body schemas.
 *
 * @example
 * defineRoute({ method: 'GET', path: '/v1/devices/{id}', ..., handle: async ({ api, params }) =>
 *   ({ status: 200, json: await api.getDevice(params.id!) }) });
 */
export function defineRoute<Q = Record<string, never>, B = undefined>(
  spec: Omit<RouteSpec, 'handle' | 'query' | 'body'> & {
    readonly query?: z.ZodType<Q>;
    readonly body?:
      | { readonly kind: 'json'; readonly schema: z.ZodType<B> }
      | { readonly kind: 'binary'; readonly maxBytes: number; readonly description: string };
    readonly handle: (ctx: RouteContext<Q, B>) => Promise<Reply>;
  },
): RouteSpec {
  return spec as RouteSpec;
}

/** A path parameter the router has already matched and validated. */
export function param(ctx: { readonly params: Readonly<Record<string, string>> }, name: string) {
  return ctx.params[name] ?? '';
}
