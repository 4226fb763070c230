/**
 * SemVer 2.0.0 (https://semver.org) parsing and precedence. Bundle versions decide whether a
 * desired state is a downgrade, so precedence must be exact, including prerelease rules.
 */
import { ProtocolError } from './errors.js';

/** A parsed SemVer 2.0.0 version. `build` is kept but never affects precedence. */
export type Semver = {
  major: number;
  minor: number;
  patch: number;
  prerelease: ReadonlyArray<string | number>;
  build: ReadonlyArray<string>;
};

// The regex published on semver.org (numbered-group form), anchored.
const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;
const MAX_LENGTH = 256;

function numeric(part: string, what: string, input: string): number {
  const n = Number(part);
  // Past 2^53 two different versions would compare equal; refuse rather than misorder.
  if (!Number.isSafeInteger(n)) {
    throw new ProtocolError('EF_PROTO_SEMVER', `version "${input}": ${what} ${part} is too large`, {
      version: input,
    });
  }
  return n;
}

/**
 * Parses a SemVer 2.0.0 string, or throws `EF_PROTO_SEMVER`.
 *
 * @example
 * parseSemver('1.2.3-rc.1+build.5'); // { major: 1, minor: 2, patch: 3, prerelease: ['rc', 1], build: ['build', '5'] }
 */
export function parseSemver(input: unknown): Semver {
  if (typeof input !== 'string') {
    throw new ProtocolError('EF_PROTO_SEMVER', `version must be a string, got ${typeof input}`);
  }
  const m = input.length <= MAX_LENGTH ? SEMVER.exec(input) : null;
  if (!m) {
    const shown = input.length > 64 ? `${input.slice(0, 64)}...` : input;
    throw new ProtocolError('EF_PROTO_SEMVER', `"${shown}" is not a SemVer 2.0.0 version`, {
      version: shown,
    });
  }
  const [, major = '', minor = '', patch = '', pre, build] = m;
  return {
    major: numeric(major, 'major', input),
    minor: numeric(minor, 'minor', input),
    patch: numeric(patch, 'patch', input),
    prerelease:
      pre === undefined
        ? []
        : pre.split('.').map((id) => (/^\d+$/.test(id) ? numeric(id, 'prerelease', input) : id)),
    build: build === undefined ? [] : build.split('.'),
  };
}

/**
 * True when `input` is a SemVer 2.0.0 version string (with safe-integer numbers).
 *
 * @example
 * isSemver('1.0.0-alpha'); // true
 * isSemver('v1.0'); // false
 */
export function isSemver(input: unknown): input is string {
  try {
    parseSemver(input);
    return true;
  } catch {
    return false;
  }
}

function cmp(a: number | string, b: number | string): -1 | 0 | 1 {
  // SemVer 11.4.3: numeric identifiers have lower precedence than alphanumeric ones.
  if (typeof a === 'number' && typeof b === 'string') return -1;
  if (typeof a === 'string' && typeof b === 'number') return 1;
  // ASCII order for strings (11.4.2), which is what < compares for ASCII.
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * SemVer precedence: -1 when a < b, 1 when a > b, 0 when equal (build metadata ignored).
 *
 * @example
 * compareSemver('1.0.0-rc.1', '1.0.0'); // -1
 * compareSemver('1.0.0+a', '1.0.0+b'); // 0
 */
export function compareSemver(a: string | Semver, b: string | Semver): -1 | 0 | 1 {
  const x = typeof a === 'string' ? parseSemver(a) : a;
  const y = typeof b === 'string' ? parseSemver(b) : b;
  for (const key of ['major', 'minor', 'patch'] as const) {
    const c = cmp(x[key], y[key]);
    if (c !== 0) return c;
  }
  // A version without prerelease outranks any prerelease of the same core (11.3).
  if (x.prerelease.length === 0 || y.prerelease.length === 0) {
    return x.prerelease.length === y.prerelease.length ? 0 : x.prerelease.length === 0 ? 1 : -1;
  }
  const n = Math.min(x.prerelease.length, y.prerelease.length);
  for (let i = 0; i < n; i++) {
    const c = cmp(x.prerelease[i] as string | number, y.prerelease[i] as string | number);
    if (c !== 0) return c;
  }
  return cmp(x.prerelease.length, y.prerelease.length);
}
