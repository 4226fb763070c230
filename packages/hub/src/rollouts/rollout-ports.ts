/**
 * What the rollout engine needs from the rest of the hub, as small interfaces the hub process
 * implements (and tests fake). Timestamps are milliseconds since the epoch on the hub's clock.
 */
import type { DeviceDeploymentState } from '@edgefleet/protocol';
import type { ReleaseRef } from './option-values.js';

/** An enrolled device matching a selector. */
export interface FleetDevice {
  id: string;
  revoked: boolean;
}

/** The fleet as the engine sees it. */
export interface RolloutDevicesPort {
  /** Enrolled devices whose tags contain every pair of `selector` (`{}`: all), revoked included. */
  list(selector: Readonly<Record<string, string>>): Promise<readonly FleetDevice[]>;
  /**
   * The release of `model` in the device's last desired state (what a rollback returns it to),
   * or `null` when it was never given that model. Read just before the device is notified.
   */
  currentRelease(deviceId: string, model: string): Promise<ReleaseRef | null>;
}

/** Carried into the device's desired state ([P-DS-1] `models[].rolloutId`, `wave`). */
export interface AssignOptions {
  rolloutId: string;
  wave: number;
  /** True for rollbacks ([P-DS-8]: a lower version needs the signed allowDowngrade). */
  allowDowngrade: boolean;
}

/** What a publish returns; `desiredVersion` lets the engine drop statuses of older documents. */
export interface AssignResult {
  desiredVersion?: number;
}

/** Publishes signed, retained desired states (the hub's deploy path). */
export interface RolloutDeployerPort {
  /** True when `release` is published (its bundle is stored). */
  hasRelease(release: ReleaseRef): Promise<boolean>;
  /**
   * Publishes a newer desired state for the device in which model `release.name` is at
   * `release.version` (other models unchanged). A coded error marks the device failed with
   * that code.
   */
  assign(
    deviceId: string,
    release: ReleaseRef,
    options: AssignOptions,
  ): Promise<AssignResult | void>;
  /**
   * Publishes a newer desired state without model `model`: the rollback of a device that had no
   * previous release of it.
   */
  unassign(deviceId: string, model: string, options: AssignOptions): Promise<AssignResult | void>;
}

/**
 * A deployment status as the engine needs it; a parsed protocol `DeploymentStatus` [P-ST-1]
 * fits as is (its `ts` is ISO text).
 */
export interface DeviceStatusReport {
  model: string;
  version: string;
  state: DeviceDeploymentState;
  /** Device time of the report (ms or ISO 8601). */
  ts: number | string;
  /** The desired-state version the device is converging to, when known. */
  desiredVersion?: number;
  error?: { code: string; message?: string };
}

/** "The latest status of this device received at or after `since` (hub clock)." */
export interface StatusQuery {
  deviceId: string;
  since: number;
}

/** Health and drift of one device running `model@version` between `from` and `to`. */
export interface WindowQuery {
  deviceId: string;
  model: string;
  version: string;
  from: number;
  to: number;
}

/**
 * Sums over the window of the records reported for that model version: inference `requests`
 * and `errors`; `p95LatencyMs` is the request-weighted mean of the records' p95 (null without
 * requests); drift windows `total`, `drifted` (scored drifted), and `maxScore`, the largest
 * `driftedShare` (share of drifted features, 0..1) of one window (null without windows).
 */
export interface WindowStats {
  requests: number;
  errors: number;
  p95LatencyMs: number | null;
  drift: { total: number; drifted: number; maxScore: number | null };
}

/** What devices reported: deployment statuses, health and drift telemetry. */
export interface RolloutSignalsPort {
  /**
   * The latest status of `release` per queried device, keyed by device id; devices without one
   * are absent. Lets the engine catch up on statuses it missed (a restart, a lost callback).
   */
  latestStatuses(
    release: ReleaseRef,
    queries: readonly StatusQuery[],
  ): Promise<ReadonlyMap<string, DeviceStatusReport>>;
  /** One answer per query, in order; `null` when nothing was reported in the window. */
  windowStats(queries: readonly WindowQuery[]): Promise<readonly (WindowStats | null)[]>;
}

/** The engine's notion of now, so tests drive time. */
export interface RolloutClock {
  now(): number;
}

/** A cancellable timer. */
export interface ScheduledTask {
  cancel(): void;
}

/** A setTimeout wrapper, so tests drive the periodic tick. */
export interface RolloutScheduler {
  setTimeout(fn: () => void, ms: number): ScheduledTask;
}

/** Everything the engine is built on. */
export interface RolloutPorts {
  devices: RolloutDevicesPort;
  deployer: RolloutDeployerPort;
  signals: RolloutSignalsPort;
  clock?: RolloutClock;
  scheduler?: RolloutScheduler;
}

/** `Date.now()`. */
export const systemClock: RolloutClock = { now: () => Date.now() };

/** Real timers that do not keep the process alive on their own. */
export const systemScheduler: RolloutScheduler = {
  setTimeout(fn, ms) {
    const timer = setTimeout(fn, ms);
    timer.unref();
    return { cancel: () => clearTimeout(timer) };
  },
};
