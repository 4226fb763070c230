import { BundleArchiveError } from './archive-errors.js';

const MiB = 1024 * 1024;

/** The file that holds the model; it gets the (larger) {@link BundleArchiveLimits.maxModelBytes} cap. */
export const BUNDLE_MODEL_FILE = 'model.onnx';

/** File names a bundle may hold unless the caller passes its own `allowedNames`. */
export const DEFAULT_ALLOWED_NAMES: readonly string[] = Object.freeze([
  'manifest.json',
  'model.onnx',
  'signature.json',
  'report.html',
]);

/** File names a bundle must hold unless the caller passes its own `requiredNames`. */
export const DEFAULT_REQUIRED_NAMES: readonly string[] = Object.freeze([
  'manifest.json',
  'model.onnx',
  'signature.json',
]);

/** Size and count caps applied while writing, reading and extracting bundle archives. */
export interface BundleArchiveLimits {
  /** Cap on `model.onnx` in bytes. Default 512 MiB. */
  readonly maxModelBytes: number;
  /** Cap on every other file in bytes. Default 16 MiB. */
  readonly maxFileBytes: number;
  /**
   * Cap on the decompressed tar stream in bytes (file data, headers, padding and trailing zeros
   * all count), enforced as the gzip stream is inflated. Default 600 MiB.
   */
  readonly maxTotalBytes: number;
  /**
   * Cap on the compressed archive in bytes. Default: 1 % above `maxTotalBytes` plus 64 KiB (gzip
   * of incompressible data is slightly larger than its input; anything more is not a bundle).
   */
  readonly maxArchiveBytes: number;
  /** Cap on the number of tar headers of any kind (files and extended headers). Default 32. */
  readonly maxEntries: number;
  /** Per-name caps that override `maxModelBytes`/`maxFileBytes` for the names given. */
  readonly maxBytesByName: Readonly<Record<string, number>>;
}

/** Default {@link BundleArchiveLimits}. */
export const DEFAULT_BUNDLE_LIMITS: BundleArchiveLimits = Object.freeze({
  maxModelBytes: 512 * MiB,
  maxFileBytes: 16 * MiB,
  maxTotalBytes: 600 * MiB,
  maxArchiveBytes: archiveCapFor(600 * MiB),
  maxEntries: 32,
  maxBytesByName: Object.freeze({}),
});

function archiveCapFor(maxTotalBytes: number): number {
  return Math.ceil(maxTotalBytes * 1.01) + 64 * 1024;
}

/** Options shared by the reading, extracting and writing functions. */
export interface BundleArchiveNameOptions {
  /** Caps; unspecified fields take their {@link DEFAULT_BUNDLE_LIMITS} value. */
  readonly limits?: Partial<BundleArchiveLimits>;
  /** File names the archive may hold. Default {@link DEFAULT_ALLOWED_NAMES}. */
  readonly allowedNames?: Iterable<string>;
  /** File names the archive must hold (a subset of `allowedNames`). Default {@link DEFAULT_REQUIRED_NAMES}. */
  readonly requiredNames?: Iterable<string>;
}

/** Validated, normalized options. */
export interface ResolvedArchiveOptions {
  readonly limits: BundleArchiveLimits;
  readonly allowed: ReadonlySet<string>;
  readonly required: readonly string[];
}

/** The shape every allowed name must have: flat, ASCII, no leading dot, at most 100 bytes. */
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

function nonNegativeInteger(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new BundleArchiveError(
      'EF_BUNDLE_ARGUMENT',
      `limit ${name} must be a non-negative safe integer`,
      { limit: name, value: String(value) },
    );
  }
  return value;
}

/** Validates and fills in defaults for the options of the archive functions. */
export function resolveArchiveOptions(opts: BundleArchiveNameOptions = {}): ResolvedArchiveOptions {
  const given = opts.limits ?? {};
  const maxTotalBytes = nonNegativeInteger(
    'maxTotalBytes',
    given.maxTotalBytes ?? DEFAULT_BUNDLE_LIMITS.maxTotalBytes,
  );
  const byName: Record<string, number> = {};
  for (const [name, cap] of Object.entries(given.maxBytesByName ?? {})) {
    byName[name] = nonNegativeInteger(`maxBytesByName.${name}`, cap);
  }
  const limits: BundleArchiveLimits = Object.freeze({
    maxModelBytes: nonNegativeInteger(
      'maxModelBytes',
      given.maxModelBytes ?? DEFAULT_BUNDLE_LIMITS.maxModelBytes,
    ),
    maxFileBytes: nonNegativeInteger(
      'maxFileBytes',
      given.maxFileBytes ?? DEFAULT_BUNDLE_LIMITS.maxFileBytes,
    ),
    maxTotalBytes,
    maxArchiveBytes: nonNegativeInteger(
      'maxArchiveBytes',
      given.maxArchiveBytes ?? archiveCapFor(maxTotalBytes),
    ),
    maxEntries: nonNegativeInteger(
      'maxEntries',
      given.maxEntries ?? DEFAULT_BUNDLE_LIMITS.maxEntries,
    ),
    maxBytesByName: Object.freeze(byName),
  });

  const allowed = new Set<string>();
  const folded = new Map<string, string>();
  for (const name of opts.allowedNames ?? DEFAULT_ALLOWED_NAMES) {
    if (typeof name !== 'string' || !SAFE_NAME.test(name)) {
      throw new BundleArchiveError(
        'EF_BUNDLE_ARGUMENT',
        `allowed name ${JSON.stringify(name)} is not a flat, safe file name`,
        { name: String(name) },
      );
    }
    // Names differing only in case would collide on case-insensitive file systems.
    const lower = name.toLowerCase();
    const other = folded.get(lower);
    if (other !== undefined && other !== name) {
      throw new BundleArchiveError(
        'EF_BUNDLE_ARGUMENT',
        `allowed names ${JSON.stringify(other)} and ${JSON.stringify(name)} differ only in case`,
        { name, other },
      );
    }
    folded.set(lower, name);
    allowed.add(name);
  }
  const required = [...new Set(opts.requiredNames ?? DEFAULT_REQUIRED_NAMES)].sort();
  for (const name of required) {
    if (!allowed.has(name)) {
      throw new BundleArchiveError(
        'EF_BUNDLE_ARGUMENT',
        `required name ${JSON.stringify(name)} is not among the allowed names`,
        { name },
      );
    }
  }
  return { limits, allowed, required };
}

/** The byte cap that applies to the file `name`. */
export function fileCap(limits: BundleArchiveLimits, name: string): number {
  const specific = limits.maxBytesByName[name];
  if (specific !== undefined) return specific;
  return name === BUNDLE_MODEL_FILE ? limits.maxModelBytes : limits.maxFileBytes;
}

/**
 * Throws `EF_BUNDLE_PATH_UNSAFE` unless `path` is a single, flat, printable-ASCII file name with
 * no traversal. Whether the name is *allowed* is checked separately.
 */
export function assertSafeEntryPath(path: string): void {
  const unsafe = (reason: string): never => {
    throw new BundleArchiveError(
      'EF_BUNDLE_PATH_UNSAFE',
      `archive entry ${JSON.stringify(path)} is unsafe: ${reason}`,
      { path, reason },
    );
  };
  if (path.length === 0) unsafe('empty name');
  if (/[^\x20-\x7e]/.test(path)) unsafe('control or non-ASCII character');
  if (path.startsWith('/') || path.startsWith('\\') || /^[A-Za-z]:/.test(path)) {
    unsafe('absolute path');
  }
  if (path.includes('\\')) unsafe('backslash');
  if (path.split('/').some((segment) => segment === '..')) unsafe('parent directory reference');
  if (path.includes('/')) unsafe('subdirectory (bundles are flat)');
  if (path === '.' || path === '..') unsafe('not a file name');
}

/** Throws `EF_BUNDLE_UNEXPECTED_FILE` unless `name` is allowed. */
export function assertAllowedName(allowed: ReadonlySet<string>, name: string): void {
  if (!allowed.has(name)) {
    throw new BundleArchiveError(
      'EF_BUNDLE_UNEXPECTED_FILE',
      `archive holds unexpected file ${JSON.stringify(name)}`,
      { path: name, allowed: [...allowed].sort() },
    );
  }
}

/** Throws `EF_BUNDLE_MISSING_FILE` unless every required name is present. */
export function assertRequiredPresent(
  required: readonly string[],
  present: { has(name: string): boolean },
): void {
  const missing = required.filter((name) => !present.has(name));
  if (missing.length > 0) {
    throw new BundleArchiveError(
      'EF_BUNDLE_MISSING_FILE',
      `bundle lacks required file(s): ${missing.join(', ')}`,
      { missing },
    );
  }
}
