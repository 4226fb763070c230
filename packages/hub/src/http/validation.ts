/** Turns zod issues into one readable line and checks query strings and path parameters. */
import type { z } from 'zod';
import { HttpApiError } from './http-errors.js';

/**
 * `tags.site: expected a string; id: expected a device id ...`, at most five issues.
 *
 * @example
 * formatIssues(result.error);
 */
export function formatIssues(error: z.ZodError): string {
  const parts = error.issues.slice(0, 5).map((i) => {
    const path = i.path.map(String).join('.');
    return path === '' ? i.message : `${path}: ${i.message}`;
  });
  const more = error.issues.length > 5 ? ` (and ${error.issues.length - 5} more)` : '';
  return `${parts.join('; ')}${more}`;
}

/** Validates `value` (a query or a path parameter) or throws `EF_HUB_HTTP_VALIDATION`. */
export function validateInput<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new HttpApiError(
    'EF_HUB_HTTP_VALIDATION',
    `${what} is invalid: ${formatIssues(parsed.error)}`,
    { issues: parsed.error.issues.map((i) => ({ path: i.path.map(String), message: i.message })) },
  );
}
