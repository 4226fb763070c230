/**
 * The hub's staged-rollout engine (DESIGN section 7). It plans waves over the selected devices,
 * notifies them within a rate limit, follows their statuses, judges each wave on failures,
 * success share, soak time and health gates, and pauses or rolls back a failed one. All state
 * is in a {@link RolloutStore}, written before it is acted on, so a hub killed with SIGKILL
 * resumes every rollout where it was. Operations run one at a time.
 */
import { randomBytes } from 'node:crypto';
import type { Database as SqliteDatabase } from 'better-sqlite3';
import { isDeviceId } from '@edgefleet/protocol';
import type { RolloutState } from '@edgefleet/protocol';
import { checkStatusReport } from './device-progress.js';
import { advanceRollout } from './rollout-advance.js';
import { ChangeSet, moveRollout } from './rollout-changes.js';
import { planRollout } from './rollout-create.js';
import { requestRollback, sendOwedRollbacks } from './rollout-deliveries.js';
import { RolloutError } from './rollout-errors.js';
import { parseRolloutOptions } from './rollout-options.js';
import type { RolloutOptions } from './rollout-options.js';
import { systemClock, systemScheduler } from './rollout-ports.js';
import type {
  RolloutClock,
  RolloutPorts,
  RolloutScheduler,
  ScheduledTask,
} from './rollout-ports.js';
import { applyReport } from './rollout-reports.js';
import { RolloutRun } from './rollout-run.js';
import type { EngineContext, EngineSettings } from './rollout-run.js';
import { buildStatusView } from './rollout-status.js';
import type { RolloutStatusView } from './rollout-status.js';
import type {
  DeviceEntryRecord,
  RolloutEventRecord,
  RolloutRecord,
  RolloutStore,
} from './rollout-store.js';
import { SqliteRolloutStore } from './sqlite-rollout-store.js';

/** A rollout as the engine returns it. */
export type Rollout = RolloutRecord;

/** Options of {@link RolloutEngine}. */
export interface RolloutEngineOptions extends Partial<EngineSettings> {
  store: RolloutStore;
  ports: RolloutPorts;
  /** Called after every persisted event (the live view of `rollout status --watch`). */
  onEvent?: (event: RolloutEventRecord) => void;
  /** Called with errors of the automatic tick and of ports (a rollout's tick is retried next time). */
  onError?: (err: unknown, rolloutId?: string) => void;
  /** Rollout id generator (tests); default `ro-` and 10 random base-32 characters. */
  newId?: () => string;
}

/** What one {@link RolloutEngine.tick} did. */
export interface TickReport {
  /** Rollouts looked at. */
  rollouts: string[];
  errors: { rolloutId: string; error: unknown }[];
}

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
const DEFAULT_SETTINGS: EngineSettings = {
  tickIntervalMs: 1000,
  gateIntervalMs: 5000,
  reconcileIntervalMs: 10_000,
  baselineWindowMs: 15 * 60_000,
  rollbackRetryMs: 5000,
};

function newRolloutId(): string {
  return `ro-${[...randomBytes(10)].map((b) => BASE32[b & 31]).join('')}`;
}

/**
 * The rollout engine.
 *
 * @example
 * const engine = RolloutEngine.open(join(dataDir, 'hub.db'), { ports: { devices, deployer, signals } });
 * await engine.start();
 * const rollout = await engine.create({ release: 'pm-mlp@1.1.0', selector: 'site=a', waves: '10,100', soakMs: '10m' });
 * hub.onStatus((deviceId, status) => engine.onDeviceStatus(deviceId, status));
 */
export class RolloutEngine {
  readonly #store: RolloutStore;
  readonly #ownsStore: boolean;
  readonly #ctx: EngineContext;
  readonly #scheduler: RolloutScheduler;
  readonly #clock: RolloutClock;
  readonly #listeners = new Set<(event: RolloutEventRecord) => void>();
  readonly #onError: (err: unknown, rolloutId?: string) => void;
  readonly #newId: () => string;
  readonly #lastCatchUp = new Map<string, number>();
  readonly #settled = new Set<string>();
  #queue: Promise<unknown> = Promise.resolve();
  #timer: ScheduledTask | undefined;
  #started = false;

  constructor(options: RolloutEngineOptions, ownsStore = false) {
    this.#store = options.store;
    this.#ownsStore = ownsStore;
    this.#clock = options.ports.clock ?? systemClock;
    this.#scheduler = options.ports.scheduler ?? systemScheduler;
    this.#onError = options.onError ?? (() => {});
    this.#newId = options.newId ?? newRolloutId;
    if (options.onEvent !== undefined) this.#listeners.add(options.onEvent);
    const settings: EngineSettings = { ...DEFAULT_SETTINGS };
    for (const key of Object.keys(DEFAULT_SETTINGS) as (keyof EngineSettings)[]) {
      const value = options[key];
      if (value !== undefined) {
        if (!Number.isSafeInteger(value) || value < 0) {
          throw new RolloutError(
            'EF_HUB_ROLLOUT_OPTIONS',
            `engine setting ${key} must be a non-negative integer of ms`,
          );
        }
        settings[key] = value;
      }
    }
    this.#ctx = {
      store: this.#store,
      devices: options.ports.devices,
      deployer: options.ports.deployer,
      signals: options.ports.signals,
      clock: this.#clock,
      settings,
      rollbackRetries: new Map(),
      commit: async (changes) => {
        const events = await this.#store.commit(changes.toChanges());
        for (const event of events) this.#emit(event);
      },
      reportError: (err, rolloutId) => this.#onError(err, rolloutId),
    };
  }

  /**
   * An engine on its own {@link SqliteRolloutStore} (a path such as the hub's `hub.db`, or an
   * open handle); {@link close} closes that store.
   */
  static open(
    target: string | SqliteDatabase,
    options: Omit<RolloutEngineOptions, 'store'>,
  ): RolloutEngine {
    return new RolloutEngine({ ...options, store: SqliteRolloutStore.open(target) }, true);
  }

  /** Adds a listener of persisted events; returns the function that removes it. */
  subscribe(listener: (event: RolloutEventRecord) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(event: RolloutEventRecord): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (err) {
        this.#onError(err, event.rolloutId);
      }
    }
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #require(id: string): Promise<RolloutRecord> {
    const rollout = typeof id === 'string' ? await this.#store.getRollout(id) : undefined;
    if (rollout === undefined) {
      throw new RolloutError('EF_HUB_ROLLOUT_UNKNOWN', `no rollout ${String(id).slice(0, 64)}`, {
        rolloutId: String(id).slice(0, 64),
      });
    }
    return rollout;
  }

  /**
   * Validates the options, selects and orders the devices, plans the waves and stores the
   * rollout as running (draft -> running). Throws `EF_HUB_ROLLOUT_*` for bad options,
   * `EF_HUB_ROLLOUT_UNKNOWN_RELEASE`, `EF_HUB_ROLLOUT_NO_DEVICES`,
   * `EF_HUB_ROLLOUT_COHORT_DEVICE` and `EF_HUB_ROLLOUT_CONFLICT`.
   */
  create(input: unknown): Promise<Rollout> {
    let options: RolloutOptions;
    try {
      options = parseRolloutOptions(input);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#serial(async () => {
      let id = this.#newId();
      while ((await this.#store.getRollout(id)) !== undefined) id = newRolloutId();
      const { changes, rollout } = await planRollout(this.#ctx, id, options);
      await this.#ctx.commit(changes);
      this.#kick();
      return rollout;
    });
  }

  /** running -> paused: no more notifications; statuses are still followed. */
  pause(id: string): Promise<Rollout> {
    return this.#operator(id, 'paused', 'paused by the operator');
  }

  /**
   * paused -> running. After a failed wave this is the operator's override: the next wave starts.
   * After a wave that ended below minSuccess the wave is judged again (and pauses again unless
   * late reports lifted it): abort or roll back instead.
   */
  resume(id: string): Promise<Rollout> {
    return this.#operator(id, 'running', null);
  }

  /** running | paused -> aborted: nothing more is sent; devices stay where they are. */
  abort(id: string): Promise<Rollout> {
    return this.#operator(id, 'aborted', 'aborted by the operator');
  }

  /**
   * -> rolled-back: every device the rollout touched gets a newer desired state with its
   * previous release (allowDowngrade), or without the model when it had none.
   */
  rollback(id: string): Promise<Rollout> {
    return this.#serial(async () => {
      const run = await RolloutRun.load(this.#ctx, await this.#require(id));
      const now = this.#clock.now();
      const reason = { code: 'operator', message: 'rolled back by the operator' };
      const changes = new ChangeSet();
      moveRollout(changes, run.rollout, 'rolled-back', now, reason);
      requestRollback(run, changes, now, reason);
      await run.commit(changes);
      this.#settled.delete(id);
      await sendOwedRollbacks(run);
      return run.rollout;
    });
  }

  #operator(id: string, to: RolloutState, message: string | null): Promise<Rollout> {
    return this.#serial(async () => {
      const rollout = await this.#require(id);
      const changes = new ChangeSet();
      const reason = message === null ? null : { code: 'operator', message };
      const next = moveRollout(changes, rollout, to, this.#clock.now(), reason);
      await this.#ctx.commit(changes);
      if (to === 'running') this.#kick();
      return next;
    });
  }

  /** The rollout, or undefined. */
  get(id: string): Promise<Rollout | undefined> {
    return this.#store.getRollout(id);
  }

  /** Every rollout, oldest first (only `states` when given). */
  list(states?: readonly RolloutState[]): Promise<Rollout[]> {
    return this.#store.listRollouts(states);
  }

  /** Waves, device counts by state, gate values against limits. Throws `EF_HUB_ROLLOUT_UNKNOWN`. */
  async status(id: string): Promise<RolloutStatusView> {
    const rollout = await this.#require(id);
    const [waves, entries, gates] = await Promise.all([
      this.#store.listWaves(id),
      this.#store.listEntries(id),
      this.#store.listGateEvaluations(id),
    ]);
    return buildStatusView(rollout, waves, entries, gates, this.#clock.now());
  }

  /** The rollout's event log after `afterId` (for `--watch` over HTTP). */
  async events(
    id: string,
    options?: { afterId?: number; limit?: number },
  ): Promise<RolloutEventRecord[]> {
    await this.#require(id);
    return this.#store.listEvents(id, options);
  }

  /**
   * Feeds one deployment status (the hub calls this for every status it stores). Returns how
   * many rollout entries it moved. Throws `EF_HUB_ROLLOUT_STATUS` for a malformed status.
   */
  onDeviceStatus(deviceId: string, status: unknown): Promise<number> {
    let report;
    try {
      if (!isDeviceId(deviceId))
        throw new RolloutError('EF_HUB_ROLLOUT_STATUS', 'device status: bad device id');
      report = checkStatusReport(status);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#serial(async () => {
      const entries = await this.#store.entriesForDevice(deviceId, report.model);
      const rollouts = new Map<string, RolloutRecord>();
      const changes = new ChangeSet();
      const now = this.#clock.now();
      let moved = 0;
      for (const entry of entries) {
        let rollout = rollouts.get(entry.rolloutId);
        if (rollout === undefined) {
          rollout = await this.#require(entry.rolloutId);
          rollouts.set(rollout.id, rollout);
        }
        if (applyReport(changes, rollout, entry, report, now) !== undefined) moved += 1;
      }
      if (!changes.empty) await this.#ctx.commit(changes);
      return moved;
    });
  }

  /**
   * Advances every running rollout once (and does owed work of paused and rolled-back ones).
   * Idempotent: a tick with nothing to do changes nothing.
   */
  tick(): Promise<TickReport> {
    return this.#serial(async () => {
      const report: TickReport = { rollouts: [], errors: [] };
      const now = this.#clock.now();
      for (const rollout of await this.#store.listRollouts(['running', 'paused', 'rolled-back'])) {
        const last = this.#lastCatchUp.get(rollout.id);
        const catchUp = last === undefined || now - last >= this.#ctx.settings.reconcileIntervalMs;
        if (rollout.state !== 'running' && (!catchUp || this.#settled.has(rollout.id))) continue;
        report.rollouts.push(rollout.id);
        try {
          const run = await RolloutRun.load(this.#ctx, rollout);
          await advanceRollout(run, catchUp);
          if (catchUp) this.#lastCatchUp.set(rollout.id, now);
          const waitMs = run.rollout.options.deviceTimeoutMs;
          if (run.rollout.state === 'rolled-back' && rollbackSettled(run.entries(), now, waitMs)) {
            this.#settled.add(rollout.id);
          }
        } catch (err) {
          report.errors.push({ rolloutId: rollout.id, error: err });
          this.#onError(err, rollout.id);
        }
      }
      return report;
    });
  }

  /** Starts the periodic tick (the first one catches up on every stored rollout). */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    await this.tick();
    this.#schedule(this.#ctx.settings.tickIntervalMs);
  }

  #schedule(ms: number): void {
    if (!this.#started) return;
    this.#timer?.cancel();
    this.#timer = this.#scheduler.setTimeout(() => {
      this.#timer = undefined;
      this.tick()
        .catch((err: unknown) => this.#onError(err))
        .finally(() => {
          // A kick during this tick already set the next timer.
          if (this.#timer === undefined) this.#schedule(this.#ctx.settings.tickIntervalMs);
        });
    }, ms);
  }

  /** Runs a tick soon after a change an operator made, instead of a full period later. */
  #kick(): void {
    if (this.#started) this.#schedule(0);
  }

  /** Stops the periodic tick and waits for the operation in progress. */
  async stop(): Promise<void> {
    this.#started = false;
    this.#timer?.cancel();
    this.#timer = undefined;
    await this.#queue;
  }

  /** Stops, then closes the store when the engine opened it ({@link RolloutEngine.open}). */
  async close(): Promise<void> {
    await this.stop();
    if (this.#ownsStore) await this.#store.close();
  }
}

/**
 * Every rollback published, and each device back, failed, or silent for longer than a device
 * timeout (then only its own late status, through onDeviceStatus, still moves it).
 */
function rollbackSettled(
  entries: readonly DeviceEntryRecord[],
  now: number,
  waitMs: number,
): boolean {
  return entries.every((e) => {
    const rb = e.rollback;
    if (rb === null) return true;
    if (rb.assignedAt === null) return false;
    return (
      rb.target === null ||
      rb.state === 'healthy' ||
      rb.state === 'failed' ||
      now - rb.requestedAt >= waitMs
    );
  });
}
