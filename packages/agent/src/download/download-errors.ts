import { EdgefleetError } from '@edgefleet/protocol';

/** The bundle downloaders' error codes and what each means (to be merged into `AGENT_ERROR_CODES`). */
export const DOWNLOAD_ERROR_CODES = {
  EF_AGENT_DOWNLOAD_SHA_MISMATCH:
    "A downloaded bundle's sha256 differs from the one the desired state names; the partial file was deleted.",
  EF_AGENT_DOWNLOAD_SIZE_MISMATCH:
    'The server reports a bundle size different from the bytes the desired state names.',
  EF_AGENT_DOWNLOAD_REMOTE:
    "The hub answered a block request with an error frame; details.remoteCode holds the hub's code.",
  EF_AGENT_DOWNLOAD_TIMEOUT:
    'A block stayed unanswered after every retry while the link was connected.',
  EF_AGENT_DOWNLOAD_ABORTED: 'A download was cancelled (newer desired state or agent shutdown).',
  EF_AGENT_DOWNLOAD_IO:
    'Writing or reading the partial download file, its directory or its bitmap failed.',
  EF_AGENT_DOWNLOAD_NO_SPACE: 'The disk has less free space than the rest of the bundle needs.',
  EF_AGENT_DOWNLOAD_HTTP_AUTH:
    'The HTTP download server refused the device credentials (401 or 403).',
  EF_AGENT_DOWNLOAD_HTTP_STATUS:
    'The HTTP download server answered with an unexpected status, or kept failing after every retry.',
  EF_AGENT_DOWNLOAD_HTTP_RANGE:
    'The HTTP download server ignored the Range header or answered a different byte range.',
  EF_AGENT_DOWNLOAD_ARGUMENT: 'A downloader was created or called with invalid options.',
} as const satisfies Record<string, string>;

export type DownloadErrorCode = keyof typeof DOWNLOAD_ERROR_CODES;

/** An error raised while downloading a bundle (MQTT blob transfer or HTTP range). */
export class DownloadError extends EdgefleetError {
  declare readonly code: DownloadErrorCode;

  constructor(
    code: DownloadErrorCode,
    message: string,
    details?: Record<string, unknown>,
    options?: ErrorOptions,
  ) {
    super(code, message, details, options);
    this.name = 'DownloadError';
  }
}

/** Wraps a file-system or SQLite failure as `EF_AGENT_DOWNLOAD_IO` (coded errors pass through). */
export function toDownloadIoError(err: unknown, action: string): EdgefleetError {
  if (err instanceof EdgefleetError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const errno = (err as { code?: unknown } | null)?.code;
  if (errno === 'ENOSPC') {
    return new DownloadError(
      'EF_AGENT_DOWNLOAD_NO_SPACE',
      `${action}: disk full`,
      { action },
      {
        cause: err,
      },
    );
  }
  return new DownloadError(
    'EF_AGENT_DOWNLOAD_IO',
    `${action} failed: ${message}`,
    typeof errno === 'string' ? { action, errno } : { action },
    { cause: err },
  );
}
