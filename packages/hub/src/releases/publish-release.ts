/**
 * Publishing a release: the hub verifies an uploaded `.efb` against its keyring (signature by a
 * release key [P-BD-2], manifest schema, every digest [P-BD-3]) before it stores a byte, then
 * keeps the archive in the blob store under its sha256 and the release row in the store.
 */
import { compareSemver, EdgefleetError, isEdgefleetError } from '@edgefleet/protocol';
import type { Manifest, SignedKeyring } from '@edgefleet/protocol';
import { openBundle } from '@edgefleet/runtime';
import type { ReleaseView } from '../api/hub-api.js';
import type { BlobStore } from '../blobs/blob-store.js';
import type { HubStore, ReleaseRecord } from '../storage/hub-store.js';
import { ReleaseError } from './release-errors.js';
import type { ReleaseErrorCode } from './release-errors.js';

/** What {@link publishRelease} needs. */
export interface ReleaseDeps {
  store: HubStore;
  blobs: BlobStore;
  keyring: SignedKeyring;
  now?: () => Date;
}

/** The API view of a stored release (its manifest was verified when it was published). */
export function releaseView(record: ReleaseRecord): ReleaseView {
  return {
    name: record.name,
    version: record.version,
    sha256: record.sha256,
    bytes: record.bytes,
    publishedAt: new Date(record.publishedAt).toISOString(),
    manifest: record.manifest as Manifest,
  };
}

function hubCodeFor(err: EdgefleetError): ReleaseErrorCode {
  switch (err.code) {
    case 'EF_BUNDLE_SIGNATURE':
      return 'EF_HUB_RELEASE_SIGNATURE';
    case 'EF_BUNDLE_DIGEST':
    case 'EF_BUNDLE_UNLISTED_FILE':
      return 'EF_HUB_RELEASE_TAMPERED';
    case 'EF_BUNDLE_TOO_LARGE':
    case 'EF_BUNDLE_TOO_MANY_ENTRIES':
      return 'EF_HUB_RELEASE_TOO_LARGE';
    case 'EF_BUNDLE_MISSING_FILE': {
      const missing = err.details?.['missing'];
      return Array.isArray(missing) && missing.includes('signature.json')
        ? 'EF_HUB_RELEASE_UNSIGNED'
        : 'EF_HUB_RELEASE_INVALID';
    }
    default:
      return 'EF_HUB_RELEASE_INVALID';
  }
}

async function verify(bytes: Uint8Array, deps: ReleaseDeps) {
  try {
    return await openBundle(bytes, { keyring: deps.keyring, now: deps.now?.() ?? new Date() });
  } catch (err) {
    if (!(err instanceof EdgefleetError)) throw err;
    throw new ReleaseError(
      hubCodeFor(err),
      `bundle refused: ${err.message}`,
      { ...(err.details ?? {}), bundleCode: err.code, reason: err.details?.['reason'] ?? err.code },
      { cause: err },
    );
  }
}

function duplicate(name: string, version: string, existing: string): ReleaseError {
  return new ReleaseError(
    'EF_HUB_RELEASE_DUPLICATE',
    `release ${name}@${version} is already published${existing === version ? '' : ` (as ${name}@${existing})`}`,
    { name, version, existing },
  );
}

/**
 * Verifies and stores a bundle; returns the new release. Throws `EF_HUB_RELEASE_UNSIGNED`,
 * `EF_HUB_RELEASE_SIGNATURE`, `EF_HUB_RELEASE_TAMPERED`, `EF_HUB_RELEASE_INVALID`,
 * `EF_HUB_RELEASE_TOO_LARGE` or `EF_HUB_RELEASE_DUPLICATE`.
 *
 * @example
 * const release = await publishRelease(await readFile('pm-1.0.0.efb'), { store, blobs, keyring });
 */
export async function publishRelease(bytes: Uint8Array, deps: ReleaseDeps): Promise<ReleaseView> {
  if (!(bytes instanceof Uint8Array) || bytes.byteLength === 0) {
    throw new ReleaseError('EF_HUB_RELEASE_INVALID', 'the upload is empty or not binary');
  }
  const bundle = await verify(bytes, deps);
  const { name, version } = bundle.manifest;
  const same = (await deps.store.listReleases(name)).find(
    (r) => compareSemver(r.version, version) === 0,
  );
  if (same !== undefined) throw duplicate(name, version, same.version);
  // The blob first: a release row must never point at a missing blob.
  await deps.blobs.put(bytes, bundle.archiveSha256);
  try {
    const record = await deps.store.addRelease({
      name,
      version,
      sha256: bundle.archiveSha256,
      bytes: bytes.byteLength,
      manifest: bundle.manifest,
      publishedAt: (deps.now?.() ?? new Date()).getTime(),
    });
    return releaseView(record);
  } catch (err) {
    // Two uploads of the same version raced past the check above.
    if (isEdgefleetError(err, 'EF_HUB_STORE_DUPLICATE_RELEASE')) {
      throw duplicate(name, version, String(err.details?.['existing'] ?? version));
    }
    throw err;
  }
}
