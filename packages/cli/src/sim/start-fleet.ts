/**
 * The fleet simulator (`edgefleet sim`): many real agents in one process. Each simulated device
 * is enrolled through the hub's HTTP API and runs the agent's own code (its own state
 * directory, SQLite outbox, broker connection and credentials) on one shared inference worker
 * pool, fed with sensor rows at a steady rate; fault knobs make a share of the devices fail
 * installs, run slowly or see drifted data.
 */
import { join, resolve } from 'node:path';

import { createWorkerPool, startAgent } from '@edgefleet/agent';
import type { InferencePool, RunningAgent, StartAgentExtras } from '@edgefleet/agent';

import {
  assignFaults,
  describeFaults,
  faultApplies,
  parseFaultSpec,
  type DeviceFaults,
} from './fault-spec.js';
import { summarizeFleet, type FleetSummary, type SimDeviceSummary } from './fleet-summary.js';
import { fleetLayout, type SimDevice } from './fleet-layout.js';
import { PredictionFeeder } from './prediction-feeder.js';
import { loadSensorRows } from './sensor-data.js';
import { enrolSimDevice, knownSimDevices } from './sim-enrolment.js';
import { SimError } from './sim-errors.js';
import { resolveFleetOptions, type FleetOptions } from './fleet-options.js';

// Predictions one device may have waiting; past it the device skips ticks (a slow device).
const MAX_IN_FLIGHT = 8;

/** What the fleet reports as it starts and runs. */
export type FleetEvent =
  | { type: 'enrolled'; deviceId: string; reused: boolean }
  | { type: 'started'; deviceId: string }
  | { type: 'ready'; devices: number; ms: number }
  | { type: 'serving'; deviceId: string; models: { name: string; version: string }[] };

/** One simulated device of a running fleet. */
export interface FleetDevice extends SimDevice {
  /** e.g. `fail-install`, `slow@2.0.0`. */
  faults: string[];
  agent: RunningAgent;
}

/** A started fleet. */
export interface RunningFleet {
  readonly devices: readonly FleetDevice[];
  /** The worker pool every device's model host runs on. */
  readonly pool: InferencePool;
  /** Every device's state now (serving versions, outbox depth, traffic). */
  summary(): FleetSummary;
  /** Stops the traffic, every agent and the pool. Idempotent. */
  stop(): Promise<void>;
}

/** Runs `task` over `items` with at most `limit` at once; the first failure rejects. */
async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failed = false;
  const lane = async () => {
    while (!failed && next < items.length) {
      const item = items[next++]!;
      try {
        await task(item);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

function installFaultHooks(
  device: SimDevice,
  faults: DeviceFaults | undefined,
): StartAgentExtras['convergerHooks'] {
  if (faults?.get('fail-install') === undefined) return undefined;
  return {
    beforeStep: (step, exec) => {
      if (step !== 'preparing' || !faultApplies(faults, 'fail-install', exec.version)) return;
      throw new SimError(
        'EF_CLI_SIM_INSTALL_FAULT',
        `simulated install failure of ${exec.model} ${exec.version} on ${device.id} (fail-install)`,
        { deviceId: device.id, model: exec.model, version: exec.version },
      );
    },
  };
}

/**
 * Enrols (or re-uses) the devices, starts one agent per device in this process and feeds them.
 * Resolves once every agent has started (they connect and converge in the background).
 *
 * @throws SimError EF_CLI_SIM_OPTIONS, EF_CLI_SIM_DATA, EF_CLI_SIM_ENROLLED; the hub client's
 *   and the agent's coded errors (nothing is left running when it throws)
 * @example
 * const fleet = await startFleet({ hubUrl: 'http://127.0.0.1:8080', token, devices: 50, sites: 3,
 *   faults: 'fail-install=10%,slow=5%,drift=20%', stateRoot: './.edgefleet/sim' });
 * console.log(fleet.summary().serving); // { 'pm@1.0.0': 45, none: 5 }
 * await fleet.stop();
 */
export async function startFleet(input: FleetOptions): Promise<RunningFleet> {
  const options = resolveFleetOptions(input);
  const started = Date.now();
  const emit = (event: FleetEvent) => {
    try {
      options.onEvent?.(event);
    } catch {
      // An observer's bug must not stop the fleet.
    }
  };
  const layout = fleetLayout(options.devices, options.sites, options.prefix);
  const faults = assignFaults(layout, parseFaultSpec(options.faults));
  const [normalRows, driftedRows] = await Promise.all([
    loadSensorRows(options.data.normal),
    loadSensorRows(options.data.drifted),
  ]);
  const hub = options.hub;
  const stateRoot = resolve(options.stateRoot);
  const known = await knownSimDevices(hub);
  const enrolments = new Map<string, Awaited<ReturnType<typeof enrolSimDevice>>>();
  await eachLimited(layout, 16, async (device) => {
    const enrolment = await enrolSimDevice(hub, device, join(stateRoot, device.id), known);
    enrolments.set(device.id, enrolment);
    emit({ type: 'enrolled', deviceId: device.id, reused: enrolment.reused });
  });

  // The pool's bound is shared by every device: sized so the feeder's own per-device cap is
  // what holds traffic back, never EF_AGENT_BUSY (which would count as model errors).
  const pool = await createWorkerPool({
    workers: options.workers,
    queueLimit: Math.min(1_000_000, 256 * options.workers + MAX_IN_FLIGHT * options.devices),
  });
  const feeder = new PredictionFeeder({
    rate: options.rate,
    maxInFlight: MAX_IN_FLIGHT,
    onServing: (deviceId, models) => emit({ type: 'serving', deviceId, models }),
  });
  const devices: FleetDevice[] = [];
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await feeder.stop();
      await eachLimited(devices, 32, (d) => d.agent.close());
      await pool.close();
    })());

  try {
    await eachLimited(layout, options.startConcurrency, async (device) => {
      const own = faults.get(device.id);
      const hooks = installFaultHooks(device, own);
      const agent = await startAgent(
        {
          config: enrolments.get(device.id)!.provisioning,
          stateDir: join(stateRoot, device.id),
          api: false,
          healthIntervalMs: options.healthIntervalMs,
          probation: { ms: options.probationMs },
          drift: { windowCount: options.driftWindow, windowMs: options.driftWindowMs },
          logLevel: false,
        },
        {
          modelHost: {
            pool,
            simulatedLatencyMs: ({ version }) =>
              faultApplies(own, 'slow', version) ? options.slowLatencyMs : 0,
          },
          ...(hooks === undefined ? {} : { convergerHooks: hooks }),
        },
      );
      devices.push({ ...device, faults: describeFaults(own), agent });
      feeder.add({
        id: device.id,
        host: agent.modelHost,
        rowsFor: (version) => (faultApplies(own, 'drift', version) ? driftedRows : normalRows),
      });
      emit({ type: 'started', deviceId: device.id });
    });
  } catch (err) {
    await stop();
    throw err;
  }
  // Started in the order they finished; listed in fleet order.
  const order = new Map(layout.map((d, i) => [d.id, i]));
  devices.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
  feeder.start();
  emit({ type: 'ready', devices: devices.length, ms: Date.now() - started });

  return {
    devices,
    pool,
    summary() {
      const list: SimDeviceSummary[] = devices.map((d) => {
        const counters = feeder.counters(d.id);
        return {
          id: d.id,
          site: d.site,
          faults: d.faults,
          connected: d.agent.link.connected,
          serving: d.agent.modelHost.list().map((m) => ({ name: m.name, version: m.version })),
          outboxDepth: d.agent.outbox.stats().depth,
          predictions: counters?.ok ?? 0,
          errors: { ...counters?.errors },
        };
      });
      const { workers, outstanding, crashes, sessions } = pool.stats();
      return summarizeFleet(list, { workers, outstanding, crashes, sessions });
    },
    stop,
  };
}

export type { FleetOptions };
