/**
 * Credentials of a request: `Authorization: Bearer <token>` for operators, HTTP Basic
 * (`<device id>:<secret>`) for devices. Only the parsing lives here; deciding is the caller's
 * (`startHttpApi`'s authenticate callbacks), which compares in constant time against hashes.
 */
import type { IncomingMessage } from 'node:http';
import type { RouteAuth } from './route-spec.js';
import { HttpApiError } from './http-errors.js';

/** Longest Authorization header looked at; anything longer is refused unparsed. */
const MAX_AUTHORIZATION_CHARS = 4096;

export type Credentials =
  | { readonly kind: 'bearer'; readonly token: string }
  | { readonly kind: 'basic'; readonly id: string; readonly secret: string }
  | { readonly kind: 'none' };

/**
 * Parses the Authorization header; a malformed one counts as none.
 *
 * @example
 * parseAuthorization('Bearer abc'); // { kind: 'bearer', token: 'abc' }
 */
export function parseAuthorization(header: string | undefined): Credentials {
  if (header === undefined || header.length > MAX_AUTHORIZATION_CHARS) return { kind: 'none' };
  const match = /^([A-Za-z]+) +(\S+) *$/.exec(header);
  if (match === null) return { kind: 'none' };
  const scheme = (match[1] ?? '').toLowerCase();
  const value = match[2] ?? '';
  if (scheme === 'bearer') return { kind: 'bearer', token: value };
  if (scheme === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) return { kind: 'none' };
    return { kind: 'basic', id: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
  }
  return { kind: 'none' };
}

export interface Authenticators {
  authenticateOperator(token: string): boolean;
  authenticateDevice(id: string, secret: string): Promise<boolean>;
}

function refused(auth: RouteAuth, why: string): HttpApiError {
  const expected =
    auth === 'operator-or-device'
      ? 'Authorization: Bearer <operator token> or HTTP Basic <device id>:<secret>'
      : 'Authorization: Bearer <operator token>';
  return new HttpApiError('EF_HUB_HTTP_UNAUTHORIZED', `${why}; send ${expected}`);
}

/** A check that throws counts as a refusal. */
function safely(check: () => boolean): boolean {
  try {
    return check() === true;
  } catch {
    return false;
  }
}

/**
 * Throws `EF_HUB_HTTP_UNAUTHORIZED` unless the request may call a route with `auth`. Errors of
 * the device check (a store failure) count as a refusal: access is never granted by accident.
 */
export async function authorize(
  req: IncomingMessage,
  auth: RouteAuth,
  authenticators: Authenticators,
): Promise<void> {
  if (auth === 'none') return;
  const credentials = parseAuthorization(req.headers.authorization);
  if (credentials.kind === 'none') throw refused(auth, 'no credentials');
  if (credentials.kind === 'bearer') {
    if (!safely(() => authenticators.authenticateOperator(credentials.token)))
      throw refused(auth, 'the operator token is not valid');
    return;
  }
  if (auth !== 'operator-or-device') throw refused(auth, 'this route is for operators only');
  let ok: boolean;
  try {
    ok = (await authenticators.authenticateDevice(credentials.id, credentials.secret)) === true;
  } catch {
    ok = false;
  }
  if (!ok) throw refused(auth, 'the device credentials are not valid');
}
