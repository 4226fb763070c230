/** Conversion between the rollout tables' rows and the store's records. */
import {
  DEVICE_DEPLOYMENT_STATES,
  ROLLOUT_STATES,
  WAVE_STATES,
  type DeviceDeploymentState,
  type RolloutState,
  type WaveState,
} from '@edgefleet/protocol';
import { RolloutError } from './rollout-errors.js';
import { parseRolloutOptions, rolloutOptionsToJson } from './rollout-options.js';
import type {
  DeviceEntryRecord,
  GateEvaluationRecord,
  GateStatus,
  RolloutEventRecord,
  RolloutEventType,
  RolloutReason,
  RolloutRecord,
  WaveRecord,
} from './rollout-store.js';

/** Column orders of the `*Params` functions below (primary key first). */
export const ROLLOUT_COLUMNS = [
  'id',
  'state',
  'release_name',
  'release_version',
  'options_json',
  'created_at',
  'updated_at',
  'started_at',
  'finished_at',
  'current_wave',
  'reason_code',
  'reason_message',
] as const;
export const WAVE_COLUMNS = [
  'rollout_id',
  'idx',
  'state',
  'size',
  'percent',
  'started_at',
  'soak_started_at',
  'finished_at',
  'reason_code',
  'reason_message',
] as const;
export const ENTRY_COLUMNS = [
  'rollout_id',
  'device_id',
  'wave',
  'rank',
  'state',
  'notified_at',
  'assigned_at',
  'desired_version',
  'last_status_at',
  'error_code',
  'previous_name',
  'previous_version',
  'rollback_requested_at',
  'rollback_target_name',
  'rollback_target_version',
  'rollback_assigned_at',
  'rollback_desired_version',
  'rollback_state',
  'rollback_last_status_at',
  'rollback_error_code',
] as const;
export const GATE_COLUMNS = [
  'rollout_id',
  'wave',
  'gate',
  'value',
  'limit_value',
  'status',
  'devices',
  'evaluated_at',
] as const;

export interface RolloutRow {
  id: string;
  state: string;
  release_name: string;
  release_version: string;
  options_json: string;
  created_at: number;
  updated_at: number;
  started_at: number | null;
  finished_at: number | null;
  current_wave: number;
  reason_code: string | null;
  reason_message: string | null;
}

export interface WaveRow {
  rollout_id: string;
  idx: number;
  state: string;
  size: number;
  percent: number | null;
  started_at: number | null;
  soak_started_at: number | null;
  finished_at: number | null;
  reason_code: string | null;
  reason_message: string | null;
}

export interface EntryRow {
  rollout_id: string;
  device_id: string;
  wave: number;
  rank: number;
  state: string;
  notified_at: number | null;
  assigned_at: number | null;
  desired_version: number | null;
  last_status_at: number | null;
  error_code: string | null;
  previous_name: string | null;
  previous_version: string | null;
  rollback_requested_at: number | null;
  rollback_target_name: string | null;
  rollback_target_version: string | null;
  rollback_assigned_at: number | null;
  rollback_desired_version: number | null;
  rollback_state: string | null;
  rollback_last_status_at: number | null;
  rollback_error_code: string | null;
}

export interface GateRow {
  rollout_id: string;
  wave: number;
  gate: string;
  value: number | null;
  limit_value: number;
  status: string;
  devices: number;
  evaluated_at: number;
}

export interface EventRow {
  id: number;
  rollout_id: string;
  ts: number;
  type: string;
  wave: number | null;
  device_id: string | null;
  data_json: string;
}

function corrupt(what: string, cause?: unknown): RolloutError {
  return new RolloutError(
    'EF_HUB_ROLLOUT_STORE_DATA',
    `stored ${what} cannot be read back`,
    { what },
    cause === undefined ? undefined : { cause },
  );
}

function oneOf<T extends string>(values: readonly T[], value: string, what: string): T {
  if (!(values as readonly string[]).includes(value)) throw corrupt(`${what} "${value}"`);
  return value as T;
}

function reason(code: string | null, message: string | null): RolloutReason | null {
  return code === null ? null : { code, message: message ?? '' };
}

const deviceState = (s: string, what: string): DeviceDeploymentState =>
  oneOf(DEVICE_DEPLOYMENT_STATES, s, what);

export function toRollout(row: RolloutRow): RolloutRecord {
  let options;
  try {
    options = parseRolloutOptions(JSON.parse(row.options_json));
  } catch (err) {
    throw corrupt(`options of rollout ${row.id}`, err);
  }
  return {
    id: row.id,
    state: oneOf<RolloutState>(ROLLOUT_STATES, row.state, 'rollout state'),
    options,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    currentWave: row.current_wave,
    reason: reason(row.reason_code, row.reason_message),
  };
}

export function rolloutParams(r: RolloutRecord): unknown[] {
  return [
    r.id,
    r.state,
    r.options.release.name,
    r.options.release.version,
    JSON.stringify(rolloutOptionsToJson(r.options)),
    r.createdAt,
    r.updatedAt,
    r.startedAt,
    r.finishedAt,
    r.currentWave,
    r.reason?.code ?? null,
    r.reason?.message ?? null,
  ];
}

export function toWave(row: WaveRow): WaveRecord {
  return {
    rolloutId: row.rollout_id,
    index: row.idx,
    state: oneOf<WaveState>(WAVE_STATES, row.state, 'wave state'),
    size: row.size,
    percent: row.percent,
    startedAt: row.started_at,
    soakStartedAt: row.soak_started_at,
    finishedAt: row.finished_at,
    reason: reason(row.reason_code, row.reason_message),
  };
}

export function waveParams(w: WaveRecord): unknown[] {
  return [
    w.rolloutId,
    w.index,
    w.state,
    w.size,
    w.percent,
    w.startedAt,
    w.soakStartedAt,
    w.finishedAt,
    w.reason?.code ?? null,
    w.reason?.message ?? null,
  ];
}

export function toEntry(row: EntryRow): DeviceEntryRecord {
  const ref = (name: string | null, version: string | null) =>
    name === null || version === null ? null : { name, version };
  return {
    rolloutId: row.rollout_id,
    deviceId: row.device_id,
    wave: row.wave,
    rank: row.rank,
    state: deviceState(row.state, 'device state'),
    notifiedAt: row.notified_at,
    assignedAt: row.assigned_at,
    desiredVersion: row.desired_version,
    lastStatusAt: row.last_status_at,
    errorCode: row.error_code,
    previous: ref(row.previous_name, row.previous_version),
    rollback:
      row.rollback_requested_at === null
        ? null
        : {
            target: ref(row.rollback_target_name, row.rollback_target_version),
            requestedAt: row.rollback_requested_at,
            assignedAt: row.rollback_assigned_at,
            desiredVersion: row.rollback_desired_version,
            state:
              row.rollback_state === null
                ? null
                : deviceState(row.rollback_state, 'rollback state'),
            lastStatusAt: row.rollback_last_status_at,
            errorCode: row.rollback_error_code,
          },
  };
}

export function entryParams(e: DeviceEntryRecord): unknown[] {
  const rb = e.rollback;
  return [
    e.rolloutId,
    e.deviceId,
    e.wave,
    e.rank,
    e.state,
    e.notifiedAt,
    e.assignedAt,
    e.desiredVersion,
    e.lastStatusAt,
    e.errorCode,
    e.previous?.name ?? null,
    e.previous?.version ?? null,
    rb?.requestedAt ?? null,
    rb?.target?.name ?? null,
    rb?.target?.version ?? null,
    rb?.assignedAt ?? null,
    rb?.desiredVersion ?? null,
    rb?.state ?? null,
    rb?.lastStatusAt ?? null,
    rb?.errorCode ?? null,
  ];
}

export function toGate(row: GateRow): GateEvaluationRecord {
  return {
    rolloutId: row.rollout_id,
    wave: row.wave,
    gate: row.gate,
    value: row.value,
    limit: row.limit_value,
    status: oneOf<GateStatus>(['pass', 'fail', 'no-data'], row.status, 'gate status'),
    devices: row.devices,
    evaluatedAt: row.evaluated_at,
  };
}

export function gateParams(g: GateEvaluationRecord): unknown[] {
  return [g.rolloutId, g.wave, g.gate, g.value, g.limit, g.status, g.devices, g.evaluatedAt];
}

export function toEvent(row: EventRow): RolloutEventRecord {
  let data: unknown;
  try {
    data = JSON.parse(row.data_json);
  } catch (err) {
    throw corrupt(`event ${row.id}`, err);
  }
  return {
    id: row.id,
    rolloutId: row.rollout_id,
    ts: row.ts,
    type: row.type as RolloutEventType,
    wave: row.wave,
    deviceId: row.device_id,
    data: typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : {},
  };
}
