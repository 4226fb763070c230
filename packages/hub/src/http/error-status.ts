/**
 * Which HTTP status a coded error gets. The API's methods throw errors of several packages
 * (hub, storage, protocol, runtime bundle checks), and codes are added over time, so the mapping
 * goes by the words of the code (`EF_HUB_STORE_UNKNOWN_DEVICE` has the word UNKNOWN: 404) rather
 * than by a list that would silently turn every new code into a 500.
 */
import { isEdgefleetError } from '@edgefleet/protocol';
import type { HttpErrorCode } from './http-errors.js';

const HTTP_CODE_STATUS: Record<HttpErrorCode, number> = {
  EF_HUB_HTTP_INTERNAL: 500,
  EF_HUB_HTTP_UNAUTHORIZED: 401,
  EF_HUB_HTTP_NO_ROUTE: 404,
  EF_HUB_HTTP_METHOD: 405,
  EF_HUB_HTTP_BODY_TOO_LARGE: 413,
  EF_HUB_HTTP_CONTENT_TYPE: 415,
  EF_HUB_HTTP_JSON: 400,
  EF_HUB_HTTP_VALIDATION: 400,
  EF_HUB_HTTP_UNKNOWN_RELEASE: 404,
  EF_HUB_HTTP_UNKNOWN_DEVICE: 404,
  EF_HUB_HTTP_UNKNOWN_BLOB: 404,
  EF_HUB_HTTP_RANGE_UNSATISFIABLE: 416,
  EF_HUB_HTTP_ABORTED: 400,
  EF_HUB_HTTP_PORT_IN_USE: 500,
  EF_HUB_HTTP_LISTEN: 500,
  EF_HUB_HTTP_OPTIONS: 500,
};

/** Protocol codes that mean "the request itself is malformed" rather than "not trusted". */
const PROTOCOL_BAD_REQUEST = new Set([
  'SCHEMA',
  'JSON',
  'ARGUMENT',
  'DEVICE_ID',
  'SEMVER',
  'TOPIC',
  'DURATION',
  'FRAME',
  'CANONICAL',
]);

/** Codes whose words would mislead: a stored blob failing its digest is corruption, not bad input. */
const OVERRIDES: Readonly<Record<string, number>> = {
  EF_HUB_BLOB_DIGEST: 500,
  EF_HUB_MQTT_PUBLISH: 503,
};

/** Word groups, checked in order; the first group with a word in the code decides. */
const WORD_STATUS: readonly (readonly [readonly string[], number])[] = [
  [['IO'], 500],
  [['TOO_LARGE'], 413],
  [['UNAUTHORIZED', 'AUTH', 'TOKEN'], 401],
  [['FORBIDDEN'], 403],
  [['UNKNOWN', 'NOT_FOUND', 'NO_SUCH'], 404],
  [['DUPLICATE', 'EXISTS', 'CONFLICT', 'REVOKED', 'TRANSITION'], 409],
  [
    [
      'ARGUMENT',
      'INVALID',
      'SCHEMA',
      'VALIDATION',
      'SELECTOR',
      'SEMVER',
      'JSON',
      'USAGE',
      'OPTIONS',
    ],
    400,
  ],
  [
    [
      'SIGNATURE',
      'SIGNED',
      'UNSIGNED',
      'TAMPER',
      'TAMPERED',
      'DIGEST',
      'TRUST',
      'MANIFEST',
      'MISMATCH',
    ],
    422,
  ],
  [['CLOSED', 'UNAVAILABLE', 'STOPPING', 'CONNECT'], 503],
];

/** What a storage layer may say about the request; anything else from it is the hub's fault. */
const STORE_STATUS: readonly (readonly [string, number])[] = [
  ['UNKNOWN', 404],
  ['DUPLICATE', 409],
  ['ARGUMENT', 400],
  ['CLOSED', 503],
];

/** True when `code` contains `word` (one or more `_`-separated words) as whole words. */
function hasWord(code: string, word: string): boolean {
  return `_${code}_`.includes(`_${word}_`);
}

function byWords(code: string): number | undefined {
  for (const [words, status] of WORD_STATUS) {
    if (words.some((w) => hasWord(code, w))) return status;
  }
  return undefined;
}

/**
 * The HTTP status for an error code: exact for the HTTP layer's own codes, by family for
 * protocol, bundle, release, storage and rollout codes, then by the words of the code; 500 when
 * nothing matches.
 *
 * @example
 * statusForCode('EF_HUB_STORE_DUPLICATE_RELEASE'); // 409
 * statusForCode('EF_HUB_RELEASE_INVALID'); // 422
 */
export function statusForCode(code: string): number {
  if (code in HTTP_CODE_STATUS) return HTTP_CODE_STATUS[code as HttpErrorCode];
  const override = OVERRIDES[code];
  if (override !== undefined) return override;
  if (code.startsWith('EF_PROTO_')) {
    const rest = code.slice('EF_PROTO_'.length);
    if (rest === 'TOO_LARGE') return 413;
    return PROTOCOL_BAD_REQUEST.has(rest) ? 400 : 422;
  }
  if (code.startsWith('EF_BUNDLE_')) {
    // A bundle refused for its content: the upload itself was fine, its bytes are not.
    return hasWord(code, 'IO') ? 500 : 422;
  }
  if (hasWord(code, 'STORE')) {
    // A database's SCHEMA or DATA is the hub's state, not the request's.
    return STORE_STATUS.find(([w]) => hasWord(code, w))?.[1] ?? 500;
  }
  const status = byWords(code);
  if (code.startsWith('EF_HUB_RELEASE_')) {
    return status === undefined || status === 400 ? 422 : status;
  }
  // Rollout codes name the option that is wrong (WAVES, SOAK, GATE...): the request's fault.
  if (code.startsWith('EF_HUB_ROLLOUT_')) return status ?? 400;
  return status ?? 500;
}

/** The status for anything thrown: a coded error by its code, anything else 500. */
export function statusForError(err: unknown): number {
  return isEdgefleetError(err) ? statusForCode(err.code) : 500;
}
