/**
 * What the hub remembers about each device besides its identity: deployment status reports,
 * presence (birth/death), and the latest health and drift records. Timestamps are ms since the
 * epoch; `ts` fields are the device's clock, `receivedAt` the hub's.
 */

/** A model a device reported running in its birth message ([P-PR-1]). */
export interface ReportedModel {
  name: string;
  version: string;
  sha256: string;
}

/** One deployment status report as the store keeps it ([P-ST-1]). */
export interface DeploymentStatusRecord {
  deviceId: string;
  executionId: string;
  model: string;
  version: string;
  sha256: string;
  /** A device deployment state ([P-ST-2]). */
  state: string;
  desiredVersion: number;
  bootId: string;
  seq: number;
  ts: number;
  receivedAt: number;
  errorCode: string | null;
  errorMessage: string | null;
  progress: { bytes: number; total: number } | null;
}

/** The fields of a status report that the telemetry item does not already carry. */
export type NewDeploymentStatus = Omit<
  DeploymentStatusRecord,
  'deviceId' | 'bootId' | 'seq' | 'receivedAt'
>;

/**
 * Derived state a stored telemetry item updates in the same transaction. Applied only when the
 * item is stored, not when it is a duplicate (the first copy applied it already).
 */
export type TelemetryEffect =
  | { kind: 'deployment-status'; status: NewDeploymentStatus }
  | { kind: 'health'; recordJson: string; ts: number }
  | { kind: 'drift'; model: string; version: string; recordJson: string; windowEnd: number };

/** What a birth message ([P-PR-1]) records. */
export interface BirthRecord {
  bootId: string;
  agentVersion: string;
  arch: string;
  platform: string;
  models: ReportedModel[];
  ts: number;
  receivedAt: number;
}

/** What a death message ([P-PR-2]) records. */
export interface DeathRecord {
  bootId?: string | undefined;
  ts: number;
  receivedAt: number;
  reason: string;
}

/** A device's presence. */
export interface PresenceRecord {
  deviceId: string;
  online: boolean;
  bootId: string | null;
  agentVersion: string | null;
  arch: string | null;
  platform: string | null;
  models: ReportedModel[];
  /** Device time of the last accepted birth. */
  birthTs: number | null;
  connectedAt: number | null;
  disconnectedAt: number | null;
  disconnectReason: string | null;
}

/** The latest health record of a device (the newest by `ts`). */
export interface HealthSnapshot {
  deviceId: string;
  recordJson: string;
  ts: number;
  receivedAt: number;
}

/** The latest drift window of one model on one device (the newest by `windowEnd`). */
export interface DriftSnapshot {
  deviceId: string;
  model: string;
  version: string;
  recordJson: string;
  windowEnd: number;
  receivedAt: number;
}

/** A query over stored telemetry of one device and stream, by hub receive time. */
export interface TelemetryQuery {
  deviceId: string;
  stream: string;
  /** Inclusive lower bound on `receivedAt`. */
  since: number;
  /** Exclusive upper bound on `receivedAt` (default: none). */
  until?: number;
  /** At most this many rows, oldest first (default 1000, at most 10000). */
  limit?: number;
}

/** One stored telemetry message. */
export interface StoredTelemetry {
  deviceId: string;
  bootId: string;
  seq: number;
  stream: string;
  payloadJson: string;
  receivedAt: number;
}

/** "The newest status of this device received at or after `since` (hub clock)." */
export interface StatusSinceQuery {
  deviceId: string;
  since: number;
}
