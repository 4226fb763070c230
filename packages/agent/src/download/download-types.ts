/**
 * What the installer asks of a bundle downloader, whichever the transport (MQTT blob transfer
 * or HTTP range requests).
 */
import { DownloadError } from './download-errors.js';

/** Bytes of the bundle on disk so far, for the `downloading` status ([P-ST-1] progress). */
export interface DownloadProgress {
  bytes: number;
  total: number;
}

/** One bundle to fetch. */
export interface BundleDownloadRequest {
  /** sha256 of the whole `.efb` (the desired state's `sha256`). */
  readonly sha256: string;
  /** Size of the whole `.efb` (the desired state's `bytes`). */
  readonly bytes: number;
  /** HTTP(S) URL, for the HTTP range downloader. */
  readonly url?: string;
  readonly signal?: AbortSignal;
  /** Called with progress, at most once per `progressIntervalMs` plus once when complete. */
  readonly onProgress?: (progress: DownloadProgress) => void;
}

/** A finished, sha256-checked download. */
export interface DownloadResult {
  /** `<downloads>/<sha256>.efb`. */
  readonly path: string;
  readonly sha256: string;
  readonly bytes: number;
  /** Blocks (MQTT) or ranges' blocks (HTTP) requested by this call, retries included. */
  readonly requestedBlocks: number;
  /** Bytes already on disk when this call started (resumed). */
  readonly resumedBytes: number;
}

/** A bundle downloader. */
export interface BundleDownloader {
  download(request: BundleDownloadRequest): Promise<DownloadResult>;
}

/**
 * Rate-limits progress callbacks: the first call passes, then at most one per `intervalMs`,
 * and the final one (bytes = total) always.
 *
 * @example
 * const progress = progressThrottle(req.onProgress, 1000);
 * progress({ bytes, total });
 */
export function progressThrottle(
  callback: ((progress: DownloadProgress) => void) | undefined,
  intervalMs: number,
): (progress: DownloadProgress) => void {
  let last = -Infinity;
  let lastBytes = -1;
  return (progress) => {
    if (!callback || progress.bytes === lastBytes) return;
    const now = Date.now();
    if (progress.bytes < progress.total && now - last < intervalMs) return;
    last = now;
    lastBytes = progress.bytes;
    try {
      callback(progress);
    } catch {
      // A failing observer must not break the download.
    }
  };
}

/** The logging a downloader does (pino's logger fits). */
export interface DownloadLogger {
  debug(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** A logger that drops everything. */
export const silentDownloadLogger: DownloadLogger = {
  debug: () => undefined,
  warn: () => undefined,
};

const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * Checks a download request's sha256 and size (`EF_AGENT_DOWNLOAD_ARGUMENT` otherwise).
 *
 * @example
 * assertDownloadRequest(request);
 */
export function assertDownloadRequest(request: BundleDownloadRequest): void {
  if (typeof request?.sha256 !== 'string' || !SHA256_HEX.test(request.sha256)) {
    throw new DownloadError('EF_AGENT_DOWNLOAD_ARGUMENT', 'sha256 must be 64 lowercase hex chars');
  }
  if (!Number.isSafeInteger(request.bytes) || request.bytes < 1) {
    throw new DownloadError(
      'EF_AGENT_DOWNLOAD_ARGUMENT',
      `bundle size ${String(request.bytes)} is not a positive byte count`,
    );
  }
}

/**
 * The coded error for a cancelled download, keeping the signal's reason as the cause.
 *
 * @example
 * if (signal.aborted) throw abortedError(sha256, signal);
 */
export function abortedError(sha256: string, signal: AbortSignal | undefined): DownloadError {
  return new DownloadError(
    'EF_AGENT_DOWNLOAD_ABORTED',
    `download of ${sha256} was cancelled`,
    { sha256 },
    { cause: signal?.reason },
  );
}

/** Checks that an option is an integer within [min, max]. */
export function intOption(
  name: string,
  value: number | undefined,
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < min || v > max) {
    throw new DownloadError(
      'EF_AGENT_DOWNLOAD_ARGUMENT',
      `${name} must be an integer from ${min} to ${max}, got ${String(value)}`,
    );
  }
  return v;
}
