/**
 * The operator token: a random bearer token created on the hub's first start. Only its sha256
 * is kept (`<data>/operator-token.hash`); the token itself is written once to
 * `<data>/operator.token` (mode 0600) for the operator to pick up. A plain sha256 is enough:
 * the token has 256 bits of entropy, so there is nothing to brute-force.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { join } from 'node:path';
import { KeyError } from './key-errors.js';
import { exists, readKeyText, writeFileAtomic } from './key-file-io.js';

const HASH_LINE = /^sha256:([0-9a-f]{64})\s*$/;
const MAX_TOKEN_LENGTH = 512;

/** The hub's operator credential. */
export interface OperatorToken {
  /** The token, only when it was created on this start. */
  token?: string;
  /** `<data>/operator.token`. */
  tokenPath: string;
  /** Constant-time check of a presented token. */
  verify(token: string): boolean;
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/**
 * Loads the stored token hash or, on the first start, creates a token. Throws
 * `EF_HUB_KEYS_READ` for a damaged hash file and `EF_HUB_KEYS_WRITE` when it cannot write.
 *
 * @example
 * const operator = await loadOperatorToken('/var/lib/edgefleet');
 * if (!operator.verify(bearer)) reply(401);
 */
export async function loadOperatorToken(dataDir: string): Promise<OperatorToken> {
  const hashPath = join(dataDir, 'operator-token.hash');
  const tokenPath = join(dataDir, 'operator.token');
  let expected: Buffer;
  let token: string | undefined;
  if (await exists(hashPath)) {
    const m = HASH_LINE.exec(await readKeyText(hashPath, 'operator token hash'));
    if (!m) {
      throw new KeyError(
        'EF_HUB_KEYS_READ',
        `${hashPath} is not "sha256:<64 hex>"; delete it to issue a new operator token`,
        { path: hashPath },
      );
    }
    expected = Buffer.from(m[1] ?? '', 'hex');
  } else {
    token = `eft_${randomBytes(32).toString('base64url')}`;
    expected = digest(token);
    // The token first: if the hash were written first, a crash would lock the operator out.
    await writeFileAtomic(tokenPath, `${token}\n`, 0o600);
    await writeFileAtomic(hashPath, `sha256:${expected.toString('hex')}\n`, 0o600);
  }
  return {
    ...(token === undefined ? {} : { token }),
    tokenPath,
    verify(presented: string): boolean {
      if (typeof presented !== 'string' || presented.length > MAX_TOKEN_LENGTH) return false;
      return timingSafeEqual(digest(presented.trim()), expected);
    },
  };
}
