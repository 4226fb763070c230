/**
 * Strict base64. `Buffer.from(s, 'base64')` silently skips junk and ignores unused trailing bits,
 * so two different strings could decode to the same signature; inside signed documents every
 * byte must matter, so only the one canonical padded encoding is accepted.
 */

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Decodes canonical padded base64 (RFC 4648 section 4), or returns `undefined`.
 *
 * @example
 * decodeBase64Strict('AAE='); // <Buffer 00 01>
 * decodeBase64Strict('AAF='); // undefined: non-zero unused bits
 */
export function decodeBase64Strict(text: string): Buffer | undefined {
  if (!BASE64.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : undefined;
}

/**
 * Canonical padded base64 of `bytes`.
 *
 * @example
 * encodeBase64(Buffer.from([0, 1])); // 'AAE='
 */
export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}
