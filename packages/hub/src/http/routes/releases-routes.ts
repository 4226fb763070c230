/** `/v1/releases`: publish a bundle, list releases, show one. */
import { z } from 'zod';
import {
  EmptyQuerySchema,
  ListReleasesQuerySchema,
  ReleaseNameParamSchema,
  ReleaseVersionParamSchema,
  ReleaseViewSchema,
} from '../api-schemas.js';
import { HttpApiError } from '../http-errors.js';
import { MAX_BUNDLE_BODY_BYTES } from '../request-body.js';
import { defineRoute, param } from '../route-spec.js';
import type { RouteContext, RouteSpec } from '../route-spec.js';
import { errorResponses } from './error-responses.js';

async function showRelease(ctx: RouteContext<unknown, unknown>) {
  const name = param(ctx, 'name');
  const version = ctx.params['version'];
  const release = await ctx.api.getRelease(name, version);
  if (release === undefined) {
    const label = version === undefined ? name : `${name}@${version}`;
    throw new HttpApiError('EF_HUB_HTTP_UNKNOWN_RELEASE', `no release ${label} is published`, {
      name,
      ...(version === undefined ? {} : { version }),
    });
  }
  return { status: 200, json: release };
}

export const releaseRoutes: readonly RouteSpec[] = [
  defineRoute<z.infer<typeof EmptyQuerySchema>, Buffer>({
    method: 'POST',
    path: '/v1/releases',
    operationId: 'publishRelease',
    summary:
      'Publish a signed bundle: the body is the .efb file. The hub verifies its signature against the keyring and every digest before storing it.',
    tag: 'releases',
    auth: 'operator',
    query: EmptyQuerySchema,
    body: {
      kind: 'binary',
      maxBytes: MAX_BUNDLE_BODY_BYTES,
      description: 'The .efb bundle file (application/octet-stream).',
    },
    responses: {
      201: { description: 'Published.', schema: ReleaseViewSchema },
      ...errorResponses(400, 401, 409, 413, 415, 422),
    },
    handle: async ({ api, body }) => ({ status: 201, json: await api.publishRelease(body) }),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/releases',
    operationId: 'listReleases',
    summary: 'List releases, ascending by name then SemVer; ?name= keeps one model.',
    tag: 'releases',
    auth: 'operator',
    query: ListReleasesQuerySchema,
    responses: {
      200: { description: 'The releases.', schema: z.array(ReleaseViewSchema) },
      ...errorResponses(400, 401),
    },
    handle: async ({ api, query }) => ({ status: 200, json: await api.listReleases(query.name) }),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/releases/{name}',
    operationId: 'getLatestRelease',
    summary: 'The highest published version of a model.',
    tag: 'releases',
    auth: 'operator',
    params: { name: ReleaseNameParamSchema },
    query: EmptyQuerySchema,
    responses: {
      200: { description: 'The release.', schema: ReleaseViewSchema },
      ...errorResponses(400, 401, 404),
    },
    handle: showRelease,
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/releases/{name}/{version}',
    operationId: 'getRelease',
    summary: 'One release, by model name and version.',
    tag: 'releases',
    auth: 'operator',
    params: { name: ReleaseNameParamSchema, version: ReleaseVersionParamSchema },
    query: EmptyQuerySchema,
    responses: {
      200: { description: 'The release.', schema: ReleaseViewSchema },
      ...errorResponses(400, 401, 404),
    },
    handle: showRelease,
  }),
];
