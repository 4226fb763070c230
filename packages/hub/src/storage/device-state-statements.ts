/** Prepared statements and row mapping for deployment status, presence, health and drift. */
import type { Database, Statement } from 'better-sqlite3';
import type {
  DeploymentStatusRecord,
  DriftSnapshot,
  HealthSnapshot,
  PresenceRecord,
  ReportedModel,
  StoredTelemetry,
} from './device-state-records.js';

/** A row of `deployment_status`. */
export interface StatusRow {
  id: number;
  device_id: string;
  execution_id: string;
  model: string;
  version: string;
  sha256: string;
  state: string;
  desired_version: number;
  boot_id: string;
  seq: number;
  ts: number;
  received_at: number;
  error_code: string | null;
  error_message: string | null;
  progress_bytes: number | null;
  progress_total: number | null;
}

/** A row of `device_presence`. */
export interface PresenceRow {
  device_id: string;
  online: number;
  boot_id: string | null;
  agent_version: string | null;
  arch: string | null;
  platform: string | null;
  models_json: string;
  birth_ts: number | null;
  connected_at: number | null;
  disconnected_at: number | null;
  disconnect_reason: string | null;
}

interface HealthRow {
  device_id: string;
  record_json: string;
  ts: number;
  received_at: number;
}

interface DriftRow {
  device_id: string;
  model: string;
  version: string;
  record_json: string;
  window_end: number;
  received_at: number;
}

interface TelemetryRow {
  device_id: string;
  boot_id: string;
  seq: number;
  stream: string;
  payload_json: string;
  received_at: number;
}

type StatusInsert = [
  string,
  string,
  string,
  string,
  string,
  string,
  number,
  string,
  number,
  number,
  number,
  string | null,
  string | null,
  number | null,
  number | null,
];

/** The prepared device-state statements of one connection. */
export interface DeviceStateStatements {
  insertStatus: Statement<StatusInsert>;
  upsertLatest: Statement<[string, string, number, number, number]>;
  latestOf: Statement<[string], StatusRow>;
  historyOf: Statement<[string], StatusRow>;
  latestOfReleaseSince: Statement<[string, string, string, number], StatusRow>;
  historyOfExecution: Statement<[string, string], StatusRow>;
  upsertHealth: Statement<[string, string, number, number]>;
  healthOf: Statement<[string], HealthRow>;
  upsertDrift: Statement<[string, string, string, string, number, number]>;
  driftOf: Statement<[string], DriftRow>;
  presenceOf: Statement<[string], PresenceRow>;
  upsertBirth: Statement<[string, string, string, string, string, string, number, number]>;
  death: Statement<[number, string, string]>;
  offline: Statement<[number, string, string]>;
  allOffline: Statement<[number, string]>;
  countOnline: Statement<[], { n: number }>;
  telemetrySince: Statement<[string, string, number, number, number], TelemetryRow>;
}

/** Prepares the device-state statements once per connection. */
export function prepareDeviceStateStatements(db: Database): DeviceStateStatements {
  return {
    insertStatus: db.prepare<StatusInsert>(
      `INSERT INTO deployment_status (device_id, execution_id, model, version, sha256, state,
         desired_version, boot_id, seq, ts, received_at, error_code, error_message,
         progress_bytes, progress_total)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    // "Latest" = highest desired version, then newest device time: a late resend of an older
    // report never hides a newer state.
    upsertLatest: db.prepare<[string, string, number, number, number]>(
      `INSERT INTO deployment_latest (device_id, model, status_id, desired_version, ts)
       VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (device_id, model) DO UPDATE SET status_id = excluded.status_id,
         desired_version = excluded.desired_version, ts = excluded.ts
       WHERE excluded.desired_version > deployment_latest.desired_version
          OR (excluded.desired_version = deployment_latest.desired_version
              AND excluded.ts >= deployment_latest.ts)`,
    ),
    latestOf: db.prepare<[string], StatusRow>(
      `SELECT s.* FROM deployment_latest l JOIN deployment_status s ON s.id = l.status_id
       WHERE l.device_id = ? ORDER BY l.model`,
    ),
    historyOf: db.prepare<[string], StatusRow>(
      'SELECT * FROM deployment_status WHERE device_id = ? ORDER BY ts, id',
    ),
    latestOfReleaseSince: db.prepare<[string, string, string, number], StatusRow>(
      `SELECT * FROM deployment_status
       WHERE device_id = ? AND model = ? AND version = ? AND received_at >= ?
       ORDER BY desired_version DESC, ts DESC, id DESC LIMIT 1`,
    ),
    historyOfExecution: db.prepare<[string, string], StatusRow>(
      'SELECT * FROM deployment_status WHERE device_id = ? AND execution_id = ? ORDER BY ts, id',
    ),
    upsertHealth: db.prepare<[string, string, number, number]>(
      `INSERT INTO health_latest (device_id, record_json, ts, received_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (device_id) DO UPDATE SET record_json = excluded.record_json,
         ts = excluded.ts, received_at = excluded.received_at
       WHERE excluded.ts >= health_latest.ts`,
    ),
    healthOf: db.prepare<[string], HealthRow>('SELECT * FROM health_latest WHERE device_id = ?'),
    upsertDrift: db.prepare<[string, string, string, string, number, number]>(
      `INSERT INTO drift_latest (device_id, model, version, record_json, window_end, received_at)
       VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (device_id, model) DO UPDATE SET version = excluded.version,
         record_json = excluded.record_json, window_end = excluded.window_end,
         received_at = excluded.received_at
       WHERE excluded.window_end >= drift_latest.window_end`,
    ),
    driftOf: db.prepare<[string], DriftRow>(
      'SELECT * FROM drift_latest WHERE device_id = ? ORDER BY model',
    ),
    presenceOf: db.prepare<[string], PresenceRow>(
      'SELECT * FROM device_presence WHERE device_id = ?',
    ),
    upsertBirth: db.prepare<[string, string, string, string, string, string, number, number]>(
      `INSERT INTO device_presence (device_id, online, boot_id, agent_version, arch, platform,
         models_json, birth_ts, connected_at)
       VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (device_id) DO UPDATE SET online = 1, boot_id = excluded.boot_id,
         agent_version = excluded.agent_version, arch = excluded.arch,
         platform = excluded.platform, models_json = excluded.models_json,
         birth_ts = excluded.birth_ts, connected_at = excluded.connected_at,
         disconnected_at = NULL, disconnect_reason = NULL`,
    ),
    death: db.prepare<[number, string, string]>(
      `UPDATE device_presence SET online = 0, disconnected_at = ?, disconnect_reason = ?
       WHERE device_id = ?`,
    ),
    offline: db.prepare<[number, string, string]>(
      `UPDATE device_presence SET online = 0, disconnected_at = ?, disconnect_reason = ?
       WHERE device_id = ? AND online = 1`,
    ),
    allOffline: db.prepare<[number, string]>(
      `UPDATE device_presence SET online = 0, disconnected_at = ?, disconnect_reason = ?
       WHERE online = 1`,
    ),
    countOnline: db.prepare<[], { n: number }>(
      `SELECT COUNT(*) AS n FROM device_presence p JOIN devices d ON d.id = p.device_id
       WHERE p.online = 1 AND d.revoked_at IS NULL`,
    ),
    telemetrySince: db.prepare<[string, string, number, number, number], TelemetryRow>(
      `SELECT device_id, boot_id, seq, stream, payload_json, received_at FROM telemetry
       WHERE device_id = ? AND stream = ? AND received_at >= ? AND received_at < ?
       ORDER BY received_at, id LIMIT ?`,
    ),
  };
}

/** Maps a `deployment_status` row. */
export function toStatus(row: StatusRow): DeploymentStatusRecord {
  return {
    deviceId: row.device_id,
    executionId: row.execution_id,
    model: row.model,
    version: row.version,
    sha256: row.sha256,
    state: row.state,
    desiredVersion: row.desired_version,
    bootId: row.boot_id,
    seq: row.seq,
    ts: row.ts,
    receivedAt: row.received_at,
    errorCode: row.error_code,
    errorMessage: row.error_message,
    progress:
      row.progress_bytes === null || row.progress_total === null
        ? null
        : { bytes: row.progress_bytes, total: row.progress_total },
  };
}

/** Maps a `device_presence` row. */
export function toPresence(row: PresenceRow): PresenceRecord {
  return {
    deviceId: row.device_id,
    online: row.online === 1,
    bootId: row.boot_id,
    agentVersion: row.agent_version,
    arch: row.arch,
    platform: row.platform,
    models: JSON.parse(row.models_json) as ReportedModel[],
    birthTs: row.birth_ts,
    connectedAt: row.connected_at,
    disconnectedAt: row.disconnected_at,
    disconnectReason: row.disconnect_reason,
  };
}

/** Maps a `health_latest` row. */
export function toHealth(row: HealthRow): HealthSnapshot {
  return {
    deviceId: row.device_id,
    recordJson: row.record_json,
    ts: row.ts,
    receivedAt: row.received_at,
  };
}

/** Maps a `drift_latest` row. */
export function toDrift(row: DriftRow): DriftSnapshot {
  return {
    deviceId: row.device_id,
    model: row.model,
    version: row.version,
    recordJson: row.record_json,
    windowEnd: row.window_end,
    receivedAt: row.received_at,
  };
}

/** Maps a `telemetry` row. */
export function toStoredTelemetry(row: TelemetryRow): StoredTelemetry {
  return {
    deviceId: row.device_id,
    bootId: row.boot_id,
    seq: row.seq,
    stream: row.stream,
    payloadJson: row.payload_json,
    receivedAt: row.received_at,
  };
}
