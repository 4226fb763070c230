/** The error answers routes document, all with the same `{ error: { code, message } }` body. */
import { ErrorBodySchema } from '../api-schemas.js';
import type { ResponseSpec } from '../route-spec.js';

const DESCRIPTIONS: Record<number, string> = {
  400: 'Bad request: invalid JSON, body, query or path parameter (EF_HUB_HTTP_VALIDATION, EF_HUB_HTTP_JSON, ...).',
  401: 'Missing or wrong credentials (EF_HUB_HTTP_UNAUTHORIZED).',
  404: 'Unknown release, device or blob.',
  409: 'Conflicts with stored state (a duplicate release or device, a revoked device).',
  413: 'The body is larger than the route accepts (EF_HUB_HTTP_BODY_TOO_LARGE).',
  415: 'Wrong Content-Type (EF_HUB_HTTP_CONTENT_TYPE).',
  416: 'The Range starts beyond the end of the blob (EF_HUB_HTTP_RANGE_UNSATISFIABLE).',
  422: 'The bundle is refused: unsigned, wrongly signed, tampered or malformed (EF_HUB_RELEASE_*, EF_BUNDLE_*, EF_PROTO_*).',
};

/**
 * Response specs for the given error statuses.
 *
 * @example
 * responses: { 200: {...}, ...errorResponses(401, 404) }
 */
export function errorResponses(...statuses: number[]): Record<number, ResponseSpec> {
  const out: Record<number, ResponseSpec> = {};
  for (const s of statuses) {
    out[s] = { description: DESCRIPTIONS[s] ?? 'Error.', schema: ErrorBodySchema };
  }
  return out;
}
