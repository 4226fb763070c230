/**
 * The rollout engine's persistent state: rollouts, their waves, one entry per (rollout, device),
 * the latest gate evaluations and an append-only event log. Asynchronous like `HubStore`, so a
 * PostgreSQL store can replace the SQLite one. The engine writes whole records through
 * {@link RolloutStore.commit}, one transaction per state change, before acting on it.
 */
import type { DeviceDeploymentState, RolloutState, WaveState } from '@edgefleet/protocol';
import type { ReleaseRef } from './option-values.js';
import type { RolloutOptions } from './rollout-options.js';

/** Why a rollout or wave is where it is, e.g. `{ code: 'max-failures', message: '...' }`. */
export interface RolloutReason {
  code: string;
  message: string;
}

/** A stored rollout. */
export interface RolloutRecord {
  /** `ro-` and 10 lowercase base-32 characters. */
  id: string;
  state: RolloutState;
  options: RolloutOptions;
  createdAt: number;
  updatedAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  /** Index of the wave being rolled out (or the last one, once finished). */
  currentWave: number;
  reason: RolloutReason | null;
}

/** A stored wave. */
export interface WaveRecord {
  rolloutId: string;
  index: number;
  state: WaveState;
  size: number;
  /** Cumulative percentage of the selected devices, or null for an explicit cohort. */
  percent: number | null;
  startedAt: number | null;
  /** When the wave's success share first reached minSuccess (the soak clock). */
  soakStartedAt: number | null;
  finishedAt: number | null;
  reason: RolloutReason | null;
}

/** A rollback of one device: a newer desired state with its previous release (or without the model). */
export interface RollbackProgress {
  /** The release the device is sent back to; null when the model is removed. */
  target: ReleaseRef | null;
  requestedAt: number;
  /** When the desired state was published; null while it is still owed. */
  assignedAt: number | null;
  desiredVersion: number | null;
  /** The device's progress on the rollback deployment, from its statuses. */
  state: DeviceDeploymentState | null;
  lastStatusAt: number | null;
  errorCode: string | null;
}

/** One device of a rollout. */
export interface DeviceEntryRecord {
  rolloutId: string;
  deviceId: string;
  wave: number;
  /** Position in the rollout's stable hash order. */
  rank: number;
  /** Progress of this rollout's release on the device [P-ST-2]. */
  state: DeviceDeploymentState;
  /** When the engine decided to notify it (persisted before the desired state is published). */
  notifiedAt: number | null;
  /** When the desired state was published; null after `notifiedAt` means it is still owed. */
  assignedAt: number | null;
  desiredVersion: number | null;
  lastStatusAt: number | null;
  errorCode: string | null;
  /** The device's release of the model before this rollout (valid once notified). */
  previous: ReleaseRef | null;
  rollback: RollbackProgress | null;
}

/** Outcome of one gate. `no-data`: nothing was reported yet; it neither fails nor blocks. */
export type GateStatus = 'pass' | 'fail' | 'no-data';

/** The latest evaluation of one gate on one wave. */
export interface GateEvaluationRecord {
  rolloutId: string;
  wave: number;
  /** The gate's expression, e.g. `error-rate<1%`. */
  gate: string;
  value: number | null;
  limit: number;
  status: GateStatus;
  /** Devices that contributed numbers. */
  devices: number;
  evaluatedAt: number;
}

/** What the event log records. */
export type RolloutEventType =
  | 'rollout-created'
  | 'rollout-state'
  | 'wave-state'
  | 'device-notified'
  | 'device-state'
  | 'assign-failed'
  | 'rollback-requested'
  | 'rollback-assigned'
  | 'rollback-state'
  | 'gate';

/** An event to append. */
export interface NewRolloutEvent {
  rolloutId: string;
  ts: number;
  type: RolloutEventType;
  wave?: number | null;
  deviceId?: string | null;
  data?: Record<string, unknown>;
}

/** A stored event; `id` increases in append order. */
export interface RolloutEventRecord {
  id: number;
  rolloutId: string;
  ts: number;
  type: RolloutEventType;
  wave: number | null;
  deviceId: string | null;
  data: Record<string, unknown>;
}

/** Records written together, in one transaction (inserted or replaced by primary key). */
export interface RolloutChanges {
  rollouts?: readonly RolloutRecord[];
  waves?: readonly WaveRecord[];
  entries?: readonly DeviceEntryRecord[];
  gates?: readonly GateEvaluationRecord[];
  events?: readonly NewRolloutEvent[];
}

/** Filters of {@link RolloutStore.listEntries}. */
export interface EntryFilter {
  wave?: number;
  states?: readonly DeviceDeploymentState[];
  /** Only entries that were notified (true) or never were (false). */
  notified?: boolean;
}

/** The rollout engine's storage. Every failure is a `RolloutError` with a code. */
export interface RolloutStore {
  /** Writes every record of `changes` atomically; returns the appended events with their ids. */
  commit(changes: RolloutChanges): Promise<RolloutEventRecord[]>;
  getRollout(id: string): Promise<RolloutRecord | undefined>;
  /** Rollouts oldest first; only those in `states` when given. */
  listRollouts(states?: readonly RolloutState[]): Promise<RolloutRecord[]>;
  listWaves(rolloutId: string): Promise<WaveRecord[]>;
  /** Entries in rank order. */
  listEntries(rolloutId: string, filter?: EntryFilter): Promise<DeviceEntryRecord[]>;
  /** A device's entries in rollouts of `model`, oldest rollout first. */
  entriesForDevice(deviceId: string, model: string): Promise<DeviceEntryRecord[]>;
  /** Entries of the rollout notified at or after `since` (for the rate limit). */
  countNotifiedSince(rolloutId: string, since: number): Promise<number>;
  listGateEvaluations(rolloutId: string): Promise<GateEvaluationRecord[]>;
  /** Events with an id above `afterId` (default 0), oldest first, at most `limit` (default 1000). */
  listEvents(
    rolloutId: string,
    options?: { afterId?: number; limit?: number },
  ): Promise<RolloutEventRecord[]>;
  /** Closes the store; later calls throw `EF_HUB_ROLLOUT_STORE_CLOSED`. Closing twice is harmless. */
  close(): Promise<void>;
}
