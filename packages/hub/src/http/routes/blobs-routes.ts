/**
 * `/v1/blobs/{sha256}`: bundle bytes by content address, with single byte ranges so an agent can
 * resume a large download over HTTP (the alternative to MQTT chunks, DESIGN section 5).
 */
import { BlobDigestParamSchema, EmptyQuerySchema, ErrorBodySchema } from '../api-schemas.js';
import { parseRange } from '../byte-range.js';
import { HttpApiError } from '../http-errors.js';
import { defineRoute, param } from '../route-spec.js';
import type { Reply, RouteSpec } from '../route-spec.js';
import { errorResponses } from './error-responses.js';

const BINARY = {
  contentType: 'application/octet-stream',
  schema: { type: 'string', contentMediaType: 'application/octet-stream' },
};

export const blobRoutes: readonly RouteSpec[] = [
  defineRoute({
    method: 'GET',
    head: true,
    path: '/v1/blobs/{sha256}',
    operationId: 'getBlob',
    summary:
      'Download a stored blob (a bundle) by sha256. Honours one Range: bytes=a-b (206 with Content-Range; 416 when it starts past the end). Devices may authenticate with HTTP Basic <id>:<secret>.',
    tag: 'blobs',
    auth: 'operator-or-device',
    params: { sha256: BlobDigestParamSchema },
    query: EmptyQuerySchema,
    responses: {
      200: { description: 'The whole blob.', raw: BINARY },
      206: {
        description: 'The requested range.',
        raw: BINARY,
        headers: { 'Content-Range': 'bytes <start>-<end>/<size>' },
      },
      416: {
        description: 'The range starts at or past the end (EF_HUB_HTTP_RANGE_UNSATISFIABLE).',
        schema: ErrorBodySchema,
        headers: { 'Content-Range': 'bytes */<size>' },
      },
      ...errorResponses(400, 401, 404),
    },
    handle: async (ctx): Promise<Reply> => {
      const sha256 = param(ctx, 'sha256');
      const blob = await ctx.api.openBlob(sha256);
      if (blob === undefined) {
        throw new HttpApiError('EF_HUB_HTTP_UNKNOWN_BLOB', `no blob ${sha256} is stored`, {
          sha256,
        });
      }
      const common = {
        'accept-ranges': 'bytes',
        etag: `"${blob.sha256}"`,
        // Content-addressed: the bytes behind a digest never change.
        'cache-control': 'private, max-age=31536000, immutable',
      };
      const range = parseRange(ctx.headers.range, blob.size);
      if (range.kind === 'unsatisfiable') {
        const error = new HttpApiError(
          'EF_HUB_HTTP_RANGE_UNSATISFIABLE',
          `the range '${ctx.headers.range ?? ''}' starts at or past the end of the ${blob.size}-byte blob`,
          { size: blob.size },
        );
        return {
          status: 416,
          json: { error: error.toJSON() },
          headers: { ...common, 'content-range': `bytes */${blob.size}` },
        };
      }
      const [status, start, end] =
        range.kind === 'partial' ? [206, range.start, range.end] : [200, 0, blob.size - 1];
      const headers: Record<string, string> = {
        ...common,
        'content-type': 'application/octet-stream',
        'content-length': String(Math.max(0, end - start + 1)),
        ...(status === 206 ? { 'content-range': `bytes ${start}-${end}/${blob.size}` } : {}),
      };
      const empty = ctx.method === 'HEAD' || end < start;
      return empty ? { status, headers } : { status, headers, stream: blob.stream(start, end) };
    },
  }),
];
