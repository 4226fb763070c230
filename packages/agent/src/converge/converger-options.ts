/**
 * The converger's options, checked once at construction (`EF_AGENT_CONVERGE_OPTIONS`).
 */
import { DEFAULT_BLOB_BLOCK_BYTES, MAX_BLOB_BLOCK_BYTES, isDeviceId } from '@edgefleet/protocol';
import type { SignedKeyring } from '@edgefleet/protocol';
import type { ModelHost } from '../inference/model-host-api.js';
import type { AgentLink } from '../link/agent-link-api.js';
import type { ReportSink } from '../outbox/outbox-api.js';
import type { AgentDb } from '../state/agent-db.js';
import { ConvergeError } from './converge-errors.js';
import type { ConvergeLogger } from './converge-logger.js';
import type { InstallHooks } from './installer.js';
import type { ProbationPolicy } from './probation.js';

/** Options of `new Converger(...)`. */
export interface ConvergerOptions {
  db: AgentDb;
  /** The agent's state folder: `downloads/`, `bundles/` and `current/` live under it. */
  stateDir: string;
  deviceId: string;
  link: AgentLink;
  reports: ReportSink;
  modelHost: ModelHost;
  /** From `device.json`: the provisioned root public key(s) and, optionally, a keyring. */
  trust: { rootPublicKeys: string[]; keyring?: SignedKeyring };
  download?: {
    /** Blob requests in flight. Default 8. */
    window?: number;
    /** Block size. Default 64 KiB. */
    blockBytes?: number;
    /** Blob request timeout. Default 15 s. */
    requestTimeoutMs?: number;
    /** Least time between two `downloading` progress statuses. Default 2 s. */
    progressIntervalMs?: number;
    /** Device credentials for HTTP range downloads of models with a `url`; false or absent: MQTT only. */
    http?: { username: string; password: string } | false;
  };
  /** Probation after a switch. Default 5 minutes, error rate 0.05, 0 crashes, 2 restarts. */
  probation?: Partial<ProbationPolicy> & { ms?: number };
  logger?: ConvergeLogger;
  /** Test seams (fault injection). */
  hooks?: InstallHooks;
}

/** Download options after defaults. */
export interface ResolvedDownloadOptions {
  window: number;
  blockBytes: number;
  requestTimeoutMs: number;
  progressIntervalMs: number;
  http: { username: string; password: string } | undefined;
}

function bad(message: string): ConvergeError {
  return new ConvergeError('EF_AGENT_CONVERGE_OPTIONS', message);
}

function int(
  name: string,
  value: number | undefined,
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < min || v > max)
    throw bad(`${name} must be an integer from ${min} to ${max}`);
  return v;
}

/**
 * Checks the options and fills in defaults.
 *
 * @example
 * const { probation, download } = resolveConvergerOptions(options);
 */
export function resolveConvergerOptions(options: ConvergerOptions): {
  probation: ProbationPolicy;
  download: ResolvedDownloadOptions;
} {
  if (typeof options !== 'object' || options === null) throw bad('options are required');
  for (const key of ['db', 'link', 'reports', 'modelHost'] as const) {
    if (typeof options[key] !== 'object' || options[key] === null) throw bad(`${key} is required`);
  }
  if (typeof options.stateDir !== 'string' || options.stateDir.length === 0)
    throw bad('stateDir is required');
  if (!isDeviceId(options.deviceId))
    throw bad(`deviceId ${JSON.stringify(options.deviceId)} is not a device id`);
  const roots = options.trust?.rootPublicKeys;
  if (
    !Array.isArray(roots) ||
    roots.length === 0 ||
    roots.some((k) => typeof k !== 'string' || k.length === 0)
  ) {
    throw bad('trust.rootPublicKeys must list at least one root public key');
  }
  const p = options.probation ?? {};
  const ms = int('probation.ms', p.ms, 5 * 60_000, 0);
  const maxErrorRate = p.maxErrorRate ?? 0.05;
  if (typeof maxErrorRate !== 'number' || !(maxErrorRate >= 0 && maxErrorRate <= 1)) {
    throw bad('probation.maxErrorRate must be a number from 0 to 1');
  }
  const probation: ProbationPolicy = {
    ms,
    maxErrorRate,
    maxCrashes: int('probation.maxCrashes', p.maxCrashes, 0, 0),
    maxRestarts: int('probation.maxRestarts', p.maxRestarts, 2, 0),
    minRequests: int('probation.minRequests', p.minRequests, 20, 1),
    checkIntervalMs: int(
      'probation.checkIntervalMs',
      p.checkIntervalMs,
      Math.max(50, Math.min(5000, Math.floor(ms / 10))),
      1,
    ),
  };
  const d = options.download ?? {};
  const http = d.http;
  if (
    http !== undefined &&
    http !== false &&
    (typeof http?.username !== 'string' || typeof http.password !== 'string')
  ) {
    throw bad('download.http must be { username, password } or false');
  }
  return {
    probation,
    download: {
      window: int('download.window', d.window, 8, 1, 256),
      blockBytes: int(
        'download.blockBytes',
        d.blockBytes,
        DEFAULT_BLOB_BLOCK_BYTES,
        1,
        MAX_BLOB_BLOCK_BYTES,
      ),
      requestTimeoutMs: int('download.requestTimeoutMs', d.requestTimeoutMs, 15_000, 1),
      progressIntervalMs: int('download.progressIntervalMs', d.progressIntervalMs, 2000, 0),
      http:
        http === false || http === undefined
          ? undefined
          : { username: http.username, password: http.password },
    },
  };
}
