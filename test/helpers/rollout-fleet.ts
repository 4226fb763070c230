/**
 * The fleet side of the rollout end-to-end tests: the releases (v1, v2 and a v2 calibrated on
 * drifted data), `edgefleet sim` as a child process (real agents, one process), the simulator's
 * device layout and fault assignment (the same functions the simulator uses, so a test knows
 * which devices will refuse a version), and `rollout create` through the CLI.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { compile } from '@edgefleet/compiler';
import type { DeviceProvisioning } from '@edgefleet/protocol';
import {
  assignFaults,
  faultApplies,
  parseFaultSpec,
} from '../../packages/cli/src/sim/fault-spec.js';
import type { FaultKind } from '../../packages/cli/src/sim/fault-spec.js';
import { fleetLayout } from '../../packages/cli/src/sim/fleet-layout.js';
import type { SimDevice } from '../../packages/cli/src/sim/fleet-layout.js';
import type { RolloutProgressView } from '@edgefleet/hub';
import type { HubHttp } from './hub-process.js';
import { runEdgefleet } from './run-edgefleet.js';
import { spawnEdgefleet } from './spawn-process.js';
import type { RunningProcess } from './spawn-process.js';
import { buildPmBundle, fixture } from './trust-fixture.js';

export type { SimDevice };

/** The signed bundles the rollout tests publish. */
export interface RolloutBundles {
  v1: string;
  v2: string;
  /** pm@2.0.0 calibrated on `eval-drifted.csv`: on the simulator's data its drift score breaches 0.25. */
  v2Drifted: string;
}

/** The drift window the drifted v2 is compiled with and the simulator uses (rows). */
export const DRIFT_WINDOW = 100;

/**
 * Compiles pm@1.0.0, pm@2.0.0 and the drifted pm@2.0.0 with `releaseKey` (a PEM) into `dir`.
 *
 * @example
 * const bundles = await buildRolloutBundles(dir, trust.release.privateKey);
 */
export async function buildRolloutBundles(
  dir: string,
  releaseKey: string,
): Promise<RolloutBundles> {
  const v1 = await buildPmBundle(dir, releaseKey, { version: '1.0.0' });
  const v2 = await buildPmBundle(dir, releaseKey, { version: '2.0.0' });
  const driftedDir = join(dir, 'drifted');
  await mkdir(driftedDir, { recursive: true });
  const keyFile = join(driftedDir, 'release.key');
  await writeFile(keyFile, releaseKey, { mode: 0o600 });
  const v2Drifted = join(driftedDir, 'pm-2.0.0.efb');
  // As in the demo: the same network calibrated on another plant's data, so its drift baseline
  // does not match what the simulated devices see.
  await compile({
    model: fixture('models/pm-mlp.onnx'),
    data: fixture('data/pm/eval-drifted.csv'),
    eval: fixture('data/pm/eval.csv'),
    preprocess: fixture('data/pm/preprocess.json'),
    releaseKey: keyFile,
    name: 'pm',
    version: '2.0.0',
    quantize: 'none',
    windowSize: DRIFT_WINDOW,
    out: v2Drifted,
  });
  return { v1, v2, v2Drifted };
}

/** Options of {@link startSim}. */
export interface SimOptions {
  readonly devices: number;
  readonly sites: number;
  readonly stateDir: string;
  readonly faults?: string;
  /** Predictions per device per second; default 2. */
  readonly rate?: number;
}

/** The totals of a `sim --json` status line (what the agents themselves serve). */
export interface SimStatus {
  devices: number;
  connected: number;
  /** Devices per serving `name@version` (`none` for devices serving nothing). */
  serving: Record<string, number>;
}

/**
 * The latest status line `sim --json` printed (one a second), or undefined before the first.
 *
 * @example
 * await waitFor(() => latestSimStatus(sim)?.serving['pm@1.0.0'] === 8, 30_000, 'v1 everywhere');
 */
export function latestSimStatus(sim: RunningProcess): SimStatus | undefined {
  const lines = sim.stdout().trim().split('\n').reverse();
  for (const line of lines) {
    try {
      const doc = JSON.parse(line) as Partial<SimStatus> & { type?: string };
      if (doc.type === 'status') return doc as SimStatus;
    } catch {
      // A line cut by the capture's tail window: the one before it will do.
    }
  }
  return undefined;
}

/**
 * `edgefleet sim --json` as a child process, resolved once every agent started (its first
 * status line). Agents report health every second and pass probation after one second.
 *
 * @example
 * const sim = await startSim(hub.api, { devices: 12, sites: 3, stateDir });
 */
export function startSim(hub: HubHttp, options: SimOptions): Promise<RunningProcess> {
  return spawnEdgefleet(
    [
      'sim',
      '--devices',
      String(options.devices),
      '--sites',
      String(options.sites),
      '--state-dir',
      options.stateDir,
      '--rate',
      `${options.rate ?? 2}/s`,
      '--health-interval',
      '1s',
      '--probation',
      '1s',
      '--drift-window',
      String(DRIFT_WINDOW),
      '--workers',
      '1',
      '--interval',
      '1s',
      ...(options.faults === undefined ? [] : ['--faults', options.faults]),
      '--hub',
      hub.url,
      '--token',
      hub.token,
    ],
    { readyTimeoutMs: 90_000 },
  );
}

/**
 * The devices `sim --devices n --sites s` enrols.
 *
 * @example
 * simLayout(8, 2).map((d) => d.id); // ['sim-1-0001', 'sim-2-0002', ...]
 */
export function simLayout(devices: number, sites: number): SimDevice[] {
  return fleetLayout(devices, sites);
}

/**
 * The ids of `layout` that the simulator gives fault `kind` for `version` under `spec`.
 *
 * @example
 * faultyIds(simLayout(8, 1), 'fail-install=25%@2.0.0', 'fail-install', '2.0.0');
 */
export function faultyIds(
  layout: readonly SimDevice[],
  spec: string,
  kind: FaultKind,
  version: string,
): string[] {
  const faults = assignFaults(layout, parseFaultSpec(spec));
  return layout.filter((d) => faultApplies(faults.get(d.id), kind, version)).map((d) => d.id);
}

/**
 * Enrols the simulator's devices over the HTTP API and writes their `device.json` where `sim`
 * looks (`<stateDir>/<id>/device.json`), so `sim` re-uses them. For an external broker, which
 * must know every device before its agent connects.
 *
 * @example
 * const provisionings = await preEnrolSim(hub.api, simLayout(8, 2), stateDir);
 */
export async function preEnrolSim(
  hub: HubHttp,
  layout: readonly SimDevice[],
  stateDir: string,
): Promise<DeviceProvisioning[]> {
  const enrolled: DeviceProvisioning[] = [];
  for (const device of layout) {
    const { provisioning } = await hub.post<{ provisioning: DeviceProvisioning }>('/v1/devices', {
      id: device.id,
      tags: device.tags,
    });
    const dir = join(stateDir, device.id);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFile(join(dir, 'device.json'), `${JSON.stringify(provisioning, null, 2)}\n`, {
      mode: 0o600,
    });
    enrolled.push(provisioning);
  }
  return enrolled;
}

/**
 * `edgefleet rollout create <release> ...args --json`; returns the rollout's status.
 *
 * @example
 * const { rollout } = await createRollout(hub.api, 'pm@1.0.0', ['--select', 'site=site-1', '--waves', '100', '--soak', '1s']);
 */
export async function createRollout(
  hub: HubHttp,
  release: string,
  args: readonly string[],
): Promise<RolloutProgressView> {
  const result = await runEdgefleet([
    'rollout',
    'create',
    release,
    ...args,
    '--hub',
    hub.url,
    '--token',
    hub.token,
    '--json',
  ]);
  if (result.code !== 0) {
    throw new Error(`rollout create failed (${result.code}):\n${result.stdout}\n${result.stderr}`);
  }
  const out = JSON.parse(result.stdout) as { status?: RolloutProgressView } & RolloutProgressView;
  return out.status ?? out;
}

/** `name@version` of every model a device reports running, sorted. */
export function reportedModels(device: { models: { name: string; version: string }[] }): string[] {
  return device.models.map((m) => `${m.name}@${m.version}`).sort();
}
