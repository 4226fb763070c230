/** The hub's start options, checked once and frozen. */
import { resolve } from 'node:path';
import { parseDuration } from '@edgefleet/protocol';
import { DEFAULT_MAX_PAYLOAD_BYTES } from '../broker/embedded-broker.js';
import { DEFAULT_DEVICE_RATE_LIMIT } from '../ingest/token-buckets.js';
import type { RateLimit } from '../ingest/token-buckets.js';
import { isLogLevel } from '../logging/create-logger.js';
import { HubStartError } from './hub-start-errors.js';

/** Options of `startHub`. */
export interface HubOptions {
  /** Where the hub keeps hub.db, blobs/, keys/ and the operator token. Created when missing. */
  dataDir: string;
  /** Address the HTTP API and the embedded broker listen on (default `0.0.0.0`). */
  host?: string;
  /** HTTP API port (default 8080; 0 = any free port). */
  httpPort?: number;
  /** Embedded broker port (default 1883; 0 = any free port). Not with `brokerUrl`. */
  mqttPort?: number;
  /** An external broker (e.g. Mosquitto) instead of the embedded one. */
  brokerUrl?: string;
  /** The hub's credentials on the external broker. */
  brokerUsername?: string;
  brokerPassword?: string;
  /** The broker URL devices get in `device.json` (default: from host and port, or `brokerUrl`). */
  publicBrokerUrl?: string;
  /** The hub's public HTTP base URL; when set, desired state carries download URLs. */
  publicHttpUrl?: string;
  /** With `deployKeyPath`: use this keyring instead of `<data>/keys/`. */
  keyringPath?: string;
  deployKeyPath?: string;
  /** Lifetime of signed desired state (default 7 days); renewed at half its lifetime. */
  desiredTtlMs?: number;
  /** pino level (default `info`), or false for no logs. */
  logLevel?: string | false;
  /** Largest MQTT payload (default 256 KiB): the broker's cap and the hub's parse cap. */
  maxPayloadBytes?: number;
  /** External broker mode: called after a device is revoked, to cut its broker access. */
  onRevoke?: (deviceId: string) => Promise<void>;
  /** Serve the HTTP API (default true); false runs MQTT and the API object only. */
  http?: boolean;
  /** Per-device message rate limit for telemetry and status. */
  deviceRateLimit?: RateLimit;
}

/** {@link HubOptions} with defaults applied. */
export interface ResolvedHubOptions {
  readonly dataDir: string;
  readonly host: string;
  readonly httpPort: number;
  readonly mqttPort: number;
  readonly brokerUrl: string | undefined;
  readonly brokerUsername: string | undefined;
  readonly brokerPassword: string | undefined;
  readonly publicBrokerUrl: string | undefined;
  readonly publicHttpUrl: string | undefined;
  readonly keyringPath: string | undefined;
  readonly deployKeyPath: string | undefined;
  readonly desiredTtlMs: number;
  readonly logLevel: string | false;
  readonly maxPayloadBytes: number;
  readonly onRevoke: ((deviceId: string) => Promise<void>) | undefined;
  readonly http: boolean;
  readonly deviceRateLimit: RateLimit;
}

const MIN_PAYLOAD = 16 * 1024;
const MAX_PAYLOAD = 16 * 1024 * 1024;
const MIN_TTL_MS = 1000;
const MAX_TTL_MS = parseDuration('365d');

function bad(option: string, message: string): HubStartError {
  return new HubStartError('EF_HUB_OPTIONS', `${option}: ${message}`, { option });
}

function port(value: unknown, option: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 65535) {
    throw bad(option, 'must be an integer port from 0 to 65535');
  }
  return value;
}

function text(value: unknown, option: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0)
    throw bad(option, 'must be a non-empty string');
  return value;
}

function url(value: unknown, option: string, protocols: readonly string[]): string | undefined {
  const s = text(value, option);
  if (s === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(s);
  } catch {
    throw bad(option, `${JSON.stringify(s)} is not a URL`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw bad(option, `must use ${protocols.map((p) => p.replace(/:$/, '')).join(' or ')}`);
  }
  return s.replace(/\/+$/, '');
}

function integer(
  value: unknown,
  option: string,
  min: number,
  max: number,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw bad(option, `must be an integer from ${min} to ${max}`);
  }
  return value;
}

function rateLimit(value: unknown): RateLimit {
  if (value === undefined) return DEFAULT_DEVICE_RATE_LIMIT;
  const v = value as Partial<RateLimit> | null;
  const ok = (n: unknown) => typeof n === 'number' && Number.isFinite(n) && n > 0;
  if (typeof v !== 'object' || v === null || !ok(v.ratePerSecond) || !ok(v.burst)) {
    throw bad('deviceRateLimit', 'needs positive ratePerSecond and burst');
  }
  return Object.freeze({ ratePerSecond: v.ratePerSecond as number, burst: v.burst as number });
}

/**
 * Applies defaults and checks every option; throws `EF_HUB_OPTIONS` naming the first bad one.
 *
 * @example
 * const options = resolveHubOptions({ dataDir: './data', httpPort: 0, mqttPort: 0 });
 */
export function resolveHubOptions(input: HubOptions): ResolvedHubOptions {
  if (typeof input !== 'object' || input === null) throw bad('options', 'must be an object');
  const dataDir = text(input.dataDir, 'dataDir');
  if (dataDir === undefined) throw bad('dataDir', 'is required');
  const brokerUrl = url(input.brokerUrl, 'brokerUrl', [
    'mqtt:',
    'mqtts:',
    'tcp:',
    'ssl:',
    'ws:',
    'wss:',
  ]);
  if (brokerUrl !== undefined && input.mqttPort !== undefined) {
    throw bad('mqttPort', 'the embedded broker port makes no sense with an external brokerUrl');
  }
  if (
    brokerUrl === undefined &&
    (input.brokerUsername !== undefined || input.brokerPassword !== undefined)
  ) {
    throw bad('brokerUsername', 'broker credentials are for an external brokerUrl only');
  }
  if (input.onRevoke !== undefined && typeof input.onRevoke !== 'function') {
    throw bad('onRevoke', 'must be a function');
  }
  if (input.logLevel !== undefined && input.logLevel !== false && !isLogLevel(input.logLevel)) {
    throw bad('logLevel', 'must be fatal, error, warn, info, debug, trace, silent or false');
  }
  if (input.http !== undefined && typeof input.http !== 'boolean')
    throw bad('http', 'must be a boolean');
  return Object.freeze({
    dataDir: resolve(dataDir),
    host: text(input.host, 'host') ?? '0.0.0.0',
    httpPort: port(input.httpPort, 'httpPort', 8080),
    mqttPort: port(input.mqttPort, 'mqttPort', 1883),
    brokerUrl,
    brokerUsername: text(input.brokerUsername, 'brokerUsername'),
    brokerPassword: text(input.brokerPassword, 'brokerPassword'),
    publicBrokerUrl: url(input.publicBrokerUrl, 'publicBrokerUrl', [
      'mqtt:',
      'mqtts:',
      'ws:',
      'wss:',
    ]),
    publicHttpUrl: url(input.publicHttpUrl, 'publicHttpUrl', ['http:', 'https:']),
    keyringPath: text(input.keyringPath, 'keyringPath'),
    deployKeyPath: text(input.deployKeyPath, 'deployKeyPath'),
    desiredTtlMs: integer(
      input.desiredTtlMs,
      'desiredTtlMs',
      MIN_TTL_MS,
      MAX_TTL_MS,
      parseDuration('7d'),
    ),
    logLevel: input.logLevel ?? 'info',
    maxPayloadBytes: integer(
      input.maxPayloadBytes,
      'maxPayloadBytes',
      MIN_PAYLOAD,
      MAX_PAYLOAD,
      DEFAULT_MAX_PAYLOAD_BYTES,
    ),
    onRevoke: input.onRevoke,
    http: input.http ?? true,
    deviceRateLimit: rateLimit(input.deviceRateLimit),
  });
}
