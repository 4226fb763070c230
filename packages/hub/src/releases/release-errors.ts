import { EdgefleetError } from '@edgefleet/protocol';

/** Error codes of release publication (to be merged into `HUB_ERROR_CODES`). */
export const RELEASE_ERROR_CODES = {
  EF_HUB_RELEASE_UNSIGNED:
    'The bundle has no signature.json; only bundles signed by a release key are published.',
  EF_HUB_RELEASE_SIGNATURE:
    'The bundle signature does not verify, or its signer is not an unexpired release key of the hub keyring (details.reason holds the protocol code, e.g. EF_PROTO_KEY_ROLE for a deploy-key signature).',
  EF_HUB_RELEASE_TAMPERED:
    'A bundle file differs from the signed manifest (digest or size) or is not listed in it.',
  EF_HUB_RELEASE_INVALID:
    'The upload is not a readable bundle: damaged or hostile archive, missing files, or a manifest that does not match the schema.',
  EF_HUB_RELEASE_TOO_LARGE: 'The bundle exceeds a size cap of the bundle reader.',
  EF_HUB_RELEASE_DUPLICATE:
    'A release with the same name and version (SemVer precedence) is already published; publish a new version instead.',
  EF_HUB_RELEASE_NOT_FOUND: 'No release of that name (and version) is published.',
} as const satisfies Record<string, string>;

export type ReleaseErrorCode = keyof typeof RELEASE_ERROR_CODES;

/** An error raised while publishing or looking up a release. */
export class ReleaseError extends EdgefleetError {
  declare readonly code: ReleaseErrorCode;

  constructor(
    code: ReleaseErrorCode,
    message: string,
    details?: Record<string, unknown>,
    options?: ErrorOptions,
  ) {
    super(code, message, details, options);
    this.name = 'ReleaseError';
  }
}
