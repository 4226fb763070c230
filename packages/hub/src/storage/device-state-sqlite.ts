/**
 * Deployment status, presence, health and drift in SQLite: the checks and writes behind the
 * device-state methods of `SqliteHubStore`. Every function runs inside the caller's
 * transaction (or as one statement).
 */
import { isSemver } from '@edgefleet/protocol';
import type {
  BirthRecord,
  DeathRecord,
  DeploymentStatusRecord,
  NewDeploymentStatus,
  ReportedModel,
  StatusSinceQuery,
  StoredTelemetry,
  TelemetryEffect,
  TelemetryQuery,
} from './device-state-records.js';
import type { TelemetryItem } from './hub-store.js';
import {
  argument,
  checkBootId,
  checkCount,
  checkDeviceId,
  checkRecord,
  checkText,
  checkTime,
  SHA256,
} from './store-arguments.js';
import { toStatus, toStoredTelemetry } from './device-state-statements.js';
import type { DeviceStateStatements } from './device-state-statements.js';

const MAX_ID = 128;
const MAX_MODELS = 64;
const DEFAULT_TELEMETRY_LIMIT = 1000;
const MAX_TELEMETRY_LIMIT = 10_000;

function checkSemver(value: unknown, what: string): string {
  if (!isSemver(value)) throw argument(`${what} must be a SemVer 2.0.0 version`);
  return value;
}

function checkSha(value: unknown, what: string): string {
  if (typeof value !== 'string' || !SHA256.test(value)) {
    throw argument(`${what} must be 64 lowercase hex digits`);
  }
  return value;
}

function checkStatus(status: NewDeploymentStatus): void {
  checkRecord(status, 'a deployment status');
  checkText(status.executionId, 'executionId', MAX_ID);
  checkText(status.model, 'model', MAX_ID);
  checkSemver(status.version, 'status version');
  checkSha(status.sha256, 'status sha256');
  checkText(status.state, 'state', 32);
  checkCount(status.desiredVersion, 'desiredVersion');
  checkTime(status.ts, 'status ts');
  if (status.progress !== null) {
    checkRecord(status.progress, 'progress');
    checkCount(status.progress.bytes, 'progress.bytes');
    checkCount(status.progress.total, 'progress.total');
  }
}

/** Checks one effect of a telemetry item before the transaction starts. */
export function checkEffect(effect: TelemetryEffect): void {
  checkRecord(effect, 'a telemetry effect');
  switch (effect.kind) {
    case 'deployment-status':
      return checkStatus(effect.status);
    case 'health':
      if (typeof effect.recordJson !== 'string') throw argument('health record must be JSON text');
      checkTime(effect.ts, 'health ts');
      return;
    case 'drift':
      checkText(effect.model, 'drift model', MAX_ID);
      checkSemver(effect.version, 'drift version');
      if (typeof effect.recordJson !== 'string') throw argument('drift record must be JSON text');
      checkTime(effect.windowEnd, 'drift windowEnd');
      return;
    default:
      throw argument('unknown telemetry effect kind');
  }
}

/** Checks the optional effects of a telemetry item. */
export function checkEffects(effects: unknown): void {
  if (effects === undefined) return;
  if (!Array.isArray(effects)) throw argument('effects must be an array');
  for (const effect of effects) checkEffect(effect as TelemetryEffect);
}

/** Applies the effects of a telemetry item that was just stored. */
export function applyEffects(st: DeviceStateStatements, item: TelemetryItem): void {
  for (const effect of item.effects ?? []) {
    if (effect.kind === 'deployment-status') {
      const s = effect.status;
      const { lastInsertRowid } = st.insertStatus.run(
        item.deviceId,
        s.executionId,
        s.model,
        s.version,
        s.sha256,
        s.state,
        s.desiredVersion,
        item.bootId,
        item.seq,
        s.ts,
        item.receivedAt,
        s.errorCode,
        s.errorMessage,
        s.progress?.bytes ?? null,
        s.progress?.total ?? null,
      );
      st.upsertLatest.run(item.deviceId, s.model, Number(lastInsertRowid), s.desiredVersion, s.ts);
    } else if (effect.kind === 'health') {
      st.upsertHealth.run(item.deviceId, effect.recordJson, effect.ts, item.receivedAt);
    } else {
      st.upsertDrift.run(
        item.deviceId,
        effect.model,
        effect.version,
        effect.recordJson,
        effect.windowEnd,
        item.receivedAt,
      );
    }
  }
}

function checkModels(models: unknown): ReportedModel[] {
  if (!Array.isArray(models) || models.length > MAX_MODELS) {
    throw argument(`models must be an array of at most ${MAX_MODELS}`);
  }
  return models.map((m: unknown) => {
    checkRecord(m, 'a reported model');
    const r = m as ReportedModel;
    return {
      name: checkText(r.name, 'model name', MAX_ID),
      version: checkSemver(r.version, 'model version'),
      sha256: checkSha(r.sha256, 'model sha256'),
    };
  });
}

/** Checks a birth record and returns its models as JSON text. */
export function checkBirth(birth: BirthRecord): string {
  checkRecord(birth, 'a birth');
  checkBootId(birth.bootId);
  checkText(birth.agentVersion, 'agentVersion', 64);
  checkText(birth.arch, 'arch', 16);
  checkText(birth.platform, 'platform', 64);
  checkTime(birth.ts, 'birth ts');
  checkTime(birth.receivedAt, 'receivedAt');
  return JSON.stringify(checkModels(birth.models));
}

/** Checks a death record. */
export function checkDeath(death: DeathRecord): void {
  checkRecord(death, 'a death');
  if (death.bootId !== undefined) checkBootId(death.bootId);
  checkTime(death.ts, 'death ts');
  checkTime(death.receivedAt, 'receivedAt');
  checkText(death.reason, 'reason', 256);
}

/** Runs a telemetry query with its bounds checked. */
export function queryTelemetry(
  st: DeviceStateStatements,
  query: TelemetryQuery,
): StoredTelemetry[] {
  checkRecord(query, 'a telemetry query');
  const deviceId = checkDeviceId(query.deviceId);
  const stream = checkText(query.stream, 'stream', 64);
  const since = checkTime(query.since, 'since');
  const until =
    query.until === undefined ? Number.MAX_SAFE_INTEGER : checkTime(query.until, 'until');
  const limit =
    query.limit === undefined ? DEFAULT_TELEMETRY_LIMIT : checkCount(query.limit, 'limit');
  if (limit > MAX_TELEMETRY_LIMIT) throw argument(`limit must be at most ${MAX_TELEMETRY_LIMIT}`);
  return st.telemetrySince.all(deviceId, stream, since, until, limit).map(toStoredTelemetry);
}

/** The latest status per model of each device in `ids`, optionally of one model. */
export function latestStatuses(
  st: DeviceStateStatements,
  ids: readonly string[],
  model: string | undefined,
): DeploymentStatusRecord[] {
  if (!Array.isArray(ids)) throw argument('device ids must be an array');
  const checked = [...new Set(ids.map(checkDeviceId))].sort();
  const out: DeploymentStatusRecord[] = [];
  for (const id of checked) {
    for (const row of st.latestOf.all(id)) {
      if (model === undefined || row.model === model) out.push(toStatus(row));
    }
  }
  return out;
}

/** Per query, the newest status of `model@version` received at or after `since`. */
export function releaseStatusesSince(
  st: DeviceStateStatements,
  model: string,
  version: string,
  queries: readonly StatusSinceQuery[],
): DeploymentStatusRecord[] {
  if (!Array.isArray(queries)) throw argument('queries must be an array');
  checkText(model, 'model', MAX_ID);
  checkSemver(version, 'version');
  const out: DeploymentStatusRecord[] = [];
  for (const q of queries) {
    checkRecord(q, 'a status query');
    const row = st.latestOfReleaseSince.get(
      checkDeviceId(q.deviceId),
      model,
      version,
      checkTime(q.since, 'since'),
    );
    if (row !== undefined) out.push(toStatus(row));
  }
  return out;
}

/**
 * Records a birth unless an equal-or-newer one is stored (a redelivered older birth must not
 * replace what a newer connection reported). `requireDevice` throws for an unknown device.
 */
export function writeBirth(
  st: DeviceStateStatements,
  requireDevice: (id: string) => unknown,
  deviceId: string,
  birth: BirthRecord,
): boolean {
  const id = checkDeviceId(deviceId);
  const modelsJson = checkBirth(birth);
  requireDevice(id);
  const current = st.presenceOf.get(id);
  if (current !== undefined && current.birth_ts !== null && birth.ts < current.birth_ts) {
    return false;
  }
  st.upsertBirth.run(
    id,
    birth.bootId,
    birth.agentVersion,
    birth.arch,
    birth.platform,
    modelsJson,
    birth.ts,
    birth.receivedAt,
  );
  return true;
}

/**
 * Records a death unless it is older than the current birth: the will of a connection the
 * device already replaced carries that old connection's time.
 */
export function writeDeath(
  st: DeviceStateStatements,
  requireDevice: (id: string) => unknown,
  deviceId: string,
  death: DeathRecord,
): boolean {
  const id = checkDeviceId(deviceId);
  checkDeath(death);
  requireDevice(id);
  const current = st.presenceOf.get(id);
  if (current === undefined) return false;
  if (current.birth_ts !== null && death.ts < current.birth_ts) return false;
  st.death.run(death.receivedAt, death.reason, id);
  return true;
}
