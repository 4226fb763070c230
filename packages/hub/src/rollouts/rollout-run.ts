/**
 * What one tick of one rollout works on: the engine's context and an in-memory snapshot of the
 * rollout, its waves and its entries, kept equal to the database by committing through it.
 */
import type { ChangeSet } from './rollout-changes.js';
import type {
  RolloutClock,
  RolloutDeployerPort,
  RolloutDevicesPort,
  RolloutSignalsPort,
} from './rollout-ports.js';
import type {
  DeviceEntryRecord,
  RolloutRecord,
  RolloutStore,
  WaveRecord,
} from './rollout-store.js';

/** Engine timings, all in ms. */
export interface EngineSettings {
  /** Period of the automatic tick after `start()` (default 1000). */
  tickIntervalMs: number;
  /** Gates are re-evaluated at most this often per rollout, and always at the end of a soak (default 5000). */
  gateIntervalMs: number;
  /** Catch-up reads of statuses the engine may have missed (default 10000; always on the first tick). */
  reconcileIntervalMs: number;
  /** The previous release's numbers come from this long before a device was notified (default 15 min). */
  baselineWindowMs: number;
  /** First delay before a failed rollback publish is retried; doubles up to 5 minutes (default 5000). */
  rollbackRetryMs: number;
}

/** What the tick helpers share with the engine. */
export interface EngineContext {
  readonly store: RolloutStore;
  readonly devices: RolloutDevicesPort;
  readonly deployer: RolloutDeployerPort;
  readonly signals: RolloutSignalsPort;
  readonly clock: RolloutClock;
  readonly settings: EngineSettings;
  /** Rollback publishes that failed: when each may be retried and the current backoff. */
  readonly rollbackRetries: Map<string, { at: number; delayMs: number }>;
  /** Persists the changes, then tells listeners about their events. */
  commit(changes: ChangeSet): Promise<void>;
  reportError(err: unknown, rolloutId?: string): void;
}

/** A rollout loaded for one tick. */
export class RolloutRun {
  rollout: RolloutRecord;
  readonly waves: WaveRecord[];
  readonly #entries: Map<string, DeviceEntryRecord>;

  private constructor(
    readonly ctx: EngineContext,
    rollout: RolloutRecord,
    waves: WaveRecord[],
    entries: DeviceEntryRecord[],
  ) {
    this.rollout = rollout;
    this.waves = waves;
    this.#entries = new Map(entries.map((e) => [e.deviceId, e]));
  }

  static async load(ctx: EngineContext, rollout: RolloutRecord): Promise<RolloutRun> {
    const [waves, entries] = await Promise.all([
      ctx.store.listWaves(rollout.id),
      ctx.store.listEntries(rollout.id),
    ]);
    return new RolloutRun(ctx, rollout, waves, entries);
  }

  /** Entries in rank order. */
  entries(filter?: (e: DeviceEntryRecord) => boolean): DeviceEntryRecord[] {
    const all = [...this.#entries.values()];
    return filter === undefined ? all : all.filter(filter);
  }

  entry(deviceId: string): DeviceEntryRecord | undefined {
    return this.#entries.get(deviceId);
  }

  get currentWave(): WaveRecord | undefined {
    return this.waves[this.rollout.currentWave];
  }

  /** Commits and applies the changes to this snapshot. */
  async commit(changes: ChangeSet): Promise<void> {
    if (changes.empty) return;
    await this.ctx.commit(changes);
    const { rollouts = [], waves = [], entries = [] } = changes.toChanges();
    for (const r of rollouts) if (r.id === this.rollout.id) this.rollout = r;
    for (const w of waves) if (w.rolloutId === this.rollout.id) this.waves[w.index] = w;
    for (const e of entries) if (e.rolloutId === this.rollout.id) this.#entries.set(e.deviceId, e);
  }
}
