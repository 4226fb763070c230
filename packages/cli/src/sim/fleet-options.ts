/** The fleet simulator's options, checked once with their defaults (`EF_CLI_SIM_OPTIONS`). */
import { availableParallelism } from 'node:os';

import { HubClient } from '../hub-client.js';
import type { FleetEvent } from './start-fleet.js';
import { DEFAULT_SENSOR_DATA } from './sensor-data.js';
import { SimError } from './sim-errors.js';

/** Options of `startFleet`. */
export interface FleetOptions {
  /** The hub's HTTP API, e.g. `http://127.0.0.1:8080` (or give `hubClient`). */
  hubUrl?: string;
  /** An operator token of that hub. */
  token?: string;
  /** A client of the hub, as CLI commands get it from `connectHub`, instead of url and token. */
  hubClient?: HubClient;
  /** How many devices (1..100000). */
  devices: number;
  /** Sites the devices are spread over round-robin (tag `site=site-<k>`); default 1. */
  sites?: number;
  /** Device ids are `<prefix>-<site>-<n>`; default `sim`. Another prefix, another fleet. */
  prefix?: string;
  /** Fault spec, e.g. `fail-install=10%,slow=5%,drift=site-2@2.0.0`; default none. */
  faults?: string;
  /** Each device keeps `device.json` and its agent state in `<stateRoot>/<id>/`. */
  stateRoot: string;
  /** Predictions per second per device and serving model; default 5, 0 for none. */
  rate?: number;
  /** Inference worker threads shared by every device; default min(2, cores). */
  workers?: number;
  /** Health report period of each agent; default 5 s (rollout gates judge from these). */
  healthIntervalMs?: number;
  /** Probation of a new model on each agent; default 10 s. */
  probationMs?: number;
  /** Rows per drift window; default 100 (20 s at 5 predictions/s). */
  driftWindow?: number;
  /** Longest drift window; default 60 s. */
  driftWindowMs?: number;
  /** Extra latency of a `slow` device's predictions; default 20 ms. */
  slowLatencyMs?: number;
  /** Agents starting at once; default 8. */
  startConcurrency?: number;
  /** Sensor CSVs (headed, numeric; a `label` column is dropped); default the PM fixtures. */
  data?: { normal?: string; drifted?: string };
  onEvent?: (event: FleetEvent) => void;
}

/** {@link FleetOptions} with every default applied. */
export type ResolvedFleetOptions = Required<
  Omit<FleetOptions, 'onEvent' | 'data' | 'hubUrl' | 'token' | 'hubClient'>
> &
  Pick<FleetOptions, 'onEvent'> & { hub: HubClient; data: { normal: string; drifted: string } };

function number(
  name: string,
  value: number | undefined,
  fallback: number,
  min: number,
  max: number,
  integer = true,
): number {
  const v = value ?? fallback;
  const ok = typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max;
  if (!ok || (integer && !Number.isInteger(v))) {
    throw new SimError(
      'EF_CLI_SIM_OPTIONS',
      `${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got ${String(value)}`,
      { [name]: value },
    );
  }
  return v;
}

function text(name: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new SimError('EF_CLI_SIM_OPTIONS', `${name} is required`, { option: name });
  }
  return value;
}

function prefixOf(prefix: string | undefined): string {
  const p = prefix ?? 'sim';
  // The whole id must stay a device id ([P-TP-2]): at most 64 characters with the suffix.
  if (typeof p !== 'string' || !/^[a-z0-9][a-z0-9._-]{0,39}$/.test(p)) {
    throw new SimError(
      'EF_CLI_SIM_OPTIONS',
      `prefix must be 1-40 of a-z 0-9 . _ - starting with a letter or digit, got '${String(prefix)}'`,
      { prefix },
    );
  }
  return p;
}

function hubClientOf(input: FleetOptions): HubClient {
  if (input.hubClient instanceof HubClient) return input.hubClient;
  const hubUrl = text('hubUrl', input.hubUrl);
  if (!URL.canParse(hubUrl) || !/^https?:$/.test(new URL(hubUrl).protocol)) {
    throw new SimError(
      'EF_CLI_SIM_OPTIONS',
      `hubUrl must be the hub's http(s) API URL, got '${hubUrl}'`,
      { hubUrl },
    );
  }
  return new HubClient(new URL(hubUrl), text('token', input.token).trim(), 'the fleet options');
}

/**
 * Checks the options and fills in the defaults.
 *
 * @throws SimError EF_CLI_SIM_OPTIONS naming the option
 * @example
 * resolveFleetOptions({ hubUrl, token, devices: 10, stateRoot: dir }).rate; // 5
 */
export function resolveFleetOptions(input: FleetOptions): ResolvedFleetOptions {
  if (typeof input !== 'object' || input === null) {
    throw new SimError('EF_CLI_SIM_OPTIONS', 'the fleet options are required');
  }
  const devices = number('devices', input.devices, Number.NaN, 1, 100_000);
  return {
    hub: hubClientOf(input),
    devices,
    sites: number('sites', input.sites, 1, 1, devices),
    prefix: prefixOf(input.prefix),
    faults: input.faults ?? '',
    stateRoot: text('stateRoot', input.stateRoot),
    rate: number('rate', input.rate, 5, 0, 1000, false),
    workers: number('workers', input.workers, Math.min(2, availableParallelism()), 1, 64),
    healthIntervalMs: number('healthIntervalMs', input.healthIntervalMs, 5000, 100, 3_600_000),
    probationMs: number('probationMs', input.probationMs, 10_000, 0, 86_400_000),
    driftWindow: number('driftWindow', input.driftWindow, 100, 10, 1_000_000),
    driftWindowMs: number('driftWindowMs', input.driftWindowMs, 60_000, 1000, 86_400_000),
    slowLatencyMs: number('slowLatencyMs', input.slowLatencyMs, 20, 0, 60_000, false),
    startConcurrency: number('startConcurrency', input.startConcurrency, 8, 1, 256),
    data: {
      normal: input.data?.normal ?? DEFAULT_SENSOR_DATA.normal,
      drifted: input.data?.drifted ?? DEFAULT_SENSOR_DATA.drifted,
    },
    ...(input.onEvent === undefined ? {} : { onEvent: input.onEvent }),
  };
}
