/**
 * Fake ports for rollout engine tests: a fleet whose devices record every desired state they
 * are given, statuses and telemetry the test sets, and a clock and scheduler the test drives.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeviceDeploymentState } from '@edgefleet/protocol';
import { expect } from 'vitest';
import { isEdgefleetError } from '@edgefleet/protocol';
import type {
  AssignOptions,
  DeviceStatusReport,
  FleetDevice,
  ReleaseRef,
  RolloutClock,
  RolloutDeployerPort,
  RolloutDevicesPort,
  RolloutEngine,
  RolloutScheduler,
  RolloutSignalsPort,
  StatusQuery,
  WindowQuery,
  WindowStats,
} from '../../src/rollouts/index.js';
import { HubError } from '../../src/errors.js';

export const T0 = Date.UTC(2026, 2, 1);
export const MODEL = 'pm-mlp';
export const V1: ReleaseRef = { name: MODEL, version: '1.0.0' };
export const V2: ReleaseRef = { name: MODEL, version: '2.0.0' };

/** A clock tests move by hand, with the timers of a scheduler on it. */
export class FakeTime implements RolloutClock, RolloutScheduler {
  t = T0;
  #timers: { at: number; fn: () => void; id: number }[] = [];
  #ids = 0;

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number) {
    const id = ++this.#ids;
    this.#timers.push({ at: this.t + ms, fn, id });
    return { cancel: () => (this.#timers = this.#timers.filter((x) => x.id !== id)) };
  }

  get pendingTimers(): number {
    return this.#timers.length;
  }

  /** Moves the clock and fires the timers that came due (in time order). */
  advance(ms: number): void {
    const until = this.t + ms;
    for (;;) {
      const due = this.#timers.filter((x) => x.at <= until).sort((a, b) => a.at - b.at)[0];
      if (due === undefined) break;
      this.#timers = this.#timers.filter((x) => x.id !== due.id);
      this.t = Math.max(this.t, due.at);
      due.fn();
    }
    this.t = until;
  }
}

/** One desired state a device was given. */
export interface Assignment {
  deviceId: string;
  release: ReleaseRef | null;
  options: AssignOptions;
  at: number;
  desiredVersion: number;
}

interface FakeDevice {
  id: string;
  tags: Record<string, string>;
  revoked: boolean;
  current: Map<string, string>;
  desiredVersion: number;
}

/** The fleet as the engine's ports see it. */
export class FakeFleet {
  readonly devices = new Map<string, FakeDevice>();
  readonly releases = new Set<string>([`${V1.name}@${V1.version}`, `${V2.name}@${V2.version}`]);
  readonly assignments: Assignment[] = [];
  /** Devices whose next publishes throw (a coded error). */
  readonly failAssign = new Set<string>();
  /** Devices whose publishes never return (the hub dies mid-publish). */
  readonly hang = new Set<string>();
  /** Latest status per `device|model@version`, with when the hub received it. */
  readonly statuses = new Map<string, { report: DeviceStatusReport; receivedAt: number }>();
  /** Telemetry per `device@version`. */
  readonly stats = new Map<string, WindowStats>();
  readonly windowQueries: WindowQuery[] = [];

  constructor(readonly time: FakeTime) {}

  /** Enrols `n` devices `dev-000`… with tags; `current` is their release of MODEL. */
  enroll(
    n: number,
    tags: Record<string, string> = { site: 'a' },
    current: string | null = V1.version,
    prefix = 'dev',
  ): string[] {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const id = `${prefix}-${String(this.devices.size).padStart(3, '0')}`;
      const device: FakeDevice = {
        id,
        tags,
        revoked: false,
        current: new Map(),
        desiredVersion: 0,
      };
      if (current !== null) device.current.set(MODEL, current);
      this.devices.set(id, device);
      ids.push(id);
    }
    return ids;
  }

  readonly devicesPort: RolloutDevicesPort = {
    list: (selector) =>
      Promise.resolve<FleetDevice[]>(
        [...this.devices.values()]
          .filter((d) => Object.entries(selector).every(([k, v]) => d.tags[k] === v))
          .map((d) => ({ id: d.id, revoked: d.revoked })),
      ),
    currentRelease: (deviceId, model) => {
      const version = this.devices.get(deviceId)?.current.get(model);
      return Promise.resolve(version === undefined ? null : { name: model, version });
    },
  };

  #publish(deviceId: string, release: ReleaseRef | null, options: AssignOptions, model: string) {
    const device = this.devices.get(deviceId);
    if (this.hang.has(deviceId)) return new Promise<never>(() => {});
    if (device === undefined || this.failAssign.has(deviceId)) {
      return Promise.reject(
        new HubError('EF_HUB_STORE_UNKNOWN_DEVICE', `cannot publish to ${deviceId}`),
      );
    }
    device.desiredVersion += 1;
    if (release === null) device.current.delete(model);
    else device.current.set(release.name, release.version);
    this.assignments.push({
      deviceId,
      release,
      options,
      at: this.time.now(),
      desiredVersion: device.desiredVersion,
    });
    return Promise.resolve({ desiredVersion: device.desiredVersion });
  }

  readonly deployer: RolloutDeployerPort = {
    hasRelease: (r) => Promise.resolve(this.releases.has(`${r.name}@${r.version}`)),
    assign: (deviceId, release, options) => this.#publish(deviceId, release, options, release.name),
    unassign: (deviceId, model, options) => this.#publish(deviceId, null, options, model),
  };

  readonly signals: RolloutSignalsPort = {
    latestStatuses: (release: ReleaseRef, queries: readonly StatusQuery[]) => {
      const out = new Map<string, DeviceStatusReport>();
      for (const q of queries) {
        const s = this.statuses.get(`${q.deviceId}|${release.name}@${release.version}`);
        if (s !== undefined && s.receivedAt >= q.since) out.set(q.deviceId, s.report);
      }
      return Promise.resolve(out);
    },
    windowStats: (queries: readonly WindowQuery[]) => {
      this.windowQueries.push(...queries);
      return Promise.resolve(
        queries.map((q) => this.stats.get(`${q.deviceId}@${q.version}`) ?? null),
      );
    },
  };

  ports() {
    return {
      devices: this.devicesPort,
      deployer: this.deployer,
      signals: this.signals,
      clock: this.time,
      scheduler: this.time,
    };
  }

  /** Assignments of the rollout's release (not rollbacks). */
  notified(release: ReleaseRef = V2): Assignment[] {
    return this.assignments.filter(
      (a) => a.release?.version === release.version && !a.options.allowDowngrade,
    );
  }

  /** Stores a status as the hub would, without telling the engine. */
  store(
    deviceId: string,
    state: DeviceDeploymentState,
    release: ReleaseRef = V2,
    error?: string,
  ): DeviceStatusReport {
    const report: DeviceStatusReport = {
      model: release.name,
      version: release.version,
      state,
      ts: new Date(this.time.now()).toISOString(),
      desiredVersion: this.devices.get(deviceId)?.desiredVersion ?? 1,
      ...(error === undefined ? {} : { error: { code: error, message: error } }),
    };
    this.statuses.set(`${deviceId}|${release.name}@${release.version}`, {
      report,
      receivedAt: this.time.now(),
    });
    return report;
  }

  /** Stores a status and hands it to the engine, as the hub does. */
  async report(
    engine: RolloutEngine,
    deviceIds: readonly string[],
    state: DeviceDeploymentState,
    release: ReleaseRef = V2,
    error?: string,
  ): Promise<void> {
    for (const id of deviceIds)
      await engine.onDeviceStatus(id, this.store(id, state, release, error));
  }

  /** Health numbers of `version` on devices. */
  setStats(deviceIds: readonly string[], version: string, stats: Partial<WindowStats>): void {
    for (const id of deviceIds) {
      this.stats.set(`${id}@${version}`, {
        requests: 1000,
        errors: 0,
        p95LatencyMs: 10,
        drift: { total: 10, drifted: 0, maxScore: 0 },
        ...stats,
      });
    }
  }
}

/** Temp dirs removed by {@link cleanupDirs}. */
const dirs: string[] = [];

export function tempDbPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ef-rollouts-'));
  dirs.push(dir);
  return join(dir, 'hub.db');
}

export function cleanupDirs(): void {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Expects a coded error. */
export async function expectCode(
  work: Promise<unknown> | (() => unknown),
  code: string,
): Promise<void> {
  let caught: unknown;
  try {
    await (typeof work === 'function' ? work() : work);
  } catch (err) {
    caught = err;
  }
  expect(isEdgefleetError(caught) ? caught.code : String(caught), `expected ${code}`).toBe(code);
}
