/** An engine on a real SQLite file with fake ports, and helpers that play the devices' part. */
import type { DeviceDeploymentState } from '@edgefleet/protocol';
import { RolloutEngine, SqliteRolloutStore } from '../../src/rollouts/index.js';
import type {
  RolloutEngineOptions,
  RolloutEventRecord,
  RolloutStore,
} from '../../src/rollouts/index.js';
import { FakeFleet, FakeTime, tempDbPath, V2 } from './fakes.js';
import type { ReleaseRef } from '../../src/rollouts/index.js';

export const HAPPY: DeviceDeploymentState[] = ['downloading', 'verified', 'installed', 'healthy'];

export interface Harness {
  time: FakeTime;
  fleet: FakeFleet;
  engine: RolloutEngine;
  store: RolloutStore;
  path: string;
  events: RolloutEventRecord[];
  errors: unknown[];
  /** A new engine on the same database file (the previous one is left as it is). */
  reopen(): RolloutEngine;
}

const open: RolloutStore[] = [];

export function harness(settings: Partial<RolloutEngineOptions> = {}): Harness {
  const time = new FakeTime();
  const fleet = new FakeFleet(time);
  const path = tempDbPath();
  const events: RolloutEventRecord[] = [];
  const errors: unknown[] = [];
  const make = () => {
    const store = SqliteRolloutStore.open(path);
    open.push(store);
    const engine = new RolloutEngine({
      store,
      ports: fleet.ports(),
      onEvent: (e) => events.push(e),
      onError: (e) => errors.push(e),
      ...settings,
    });
    return { store, engine };
  };
  const h: Harness = {
    time,
    fleet,
    path,
    events,
    errors,
    ...make(),
    reopen: () => (h.engine = make().engine),
  };
  return h;
}

/** Closes every store the harnesses opened. */
export async function closeHarnesses(): Promise<void> {
  for (const store of open.splice(0)) await store.close();
}

/**
 * Runs the rollout: each step ticks, lets every newly notified device report `behaviour(id)`
 * (a list of states, or null for silence), then advances the clock. Stops when the rollout is
 * no longer running or after `maxSteps`.
 */
export async function drive(
  h: Harness,
  rolloutId: string,
  behaviour: (deviceId: string) => DeviceDeploymentState[] | null = () => HAPPY,
  {
    stepMs = 1000,
    maxSteps = 2000,
    release = V2,
    answered = new Set<string>(),
    until = (state: string) => state !== 'running',
  }: {
    stepMs?: number;
    maxSteps?: number;
    release?: ReleaseRef;
    /** Devices that already answered (shared between calls). */
    answered?: Set<string>;
    /** Stop condition on the rollout's state, checked after each step. */
    until?: (state: string) => boolean | Promise<boolean>;
  } = {},
): Promise<number> {
  for (let step = 0; step < maxSteps; step++) {
    await h.engine.tick();
    for (const a of h.fleet.notified(release)) {
      if (answered.has(a.deviceId)) continue;
      answered.add(a.deviceId);
      for (const state of behaviour(a.deviceId) ?? [])
        await h.fleet.report(h.engine, [a.deviceId], state, release);
    }
    const rollout = await h.engine.get(rolloutId);
    if (await until(rollout?.state ?? 'missing')) return step;
    h.time.advance(stepMs);
  }
  return maxSteps;
}
