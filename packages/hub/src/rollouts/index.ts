/** The staged-rollout engine: `export * from './rollouts/index.js'` in the package index. */
export { RolloutEngine } from './rollout-engine.js';
export type { Rollout, RolloutEngineOptions, TickReport } from './rollout-engine.js';
export type { EngineSettings } from './rollout-run.js';
export { RolloutError, ROLLOUT_ERROR_CODES } from './rollout-errors.js';
export type { RolloutErrorCode } from './rollout-errors.js';
export { parseRolloutOptions, rolloutOptionsToJson, ROLLOUT_DEFAULTS } from './rollout-options.js';
export type { OnFailure, RolloutOptions, RolloutOptionsInput } from './rollout-options.js';
export {
  isCohorts,
  parseCount,
  parseDurationOption,
  parseRate,
  parseReleaseRef,
  parseSelector,
  parseShare,
  parseWaves,
} from './option-values.js';
export type { ReleaseRef, WavesSpec } from './option-values.js';
export { GATE_METRICS, gateHolds, parseGate } from './gate-expressions.js';
export type { Gate, GateMetric, GateUnit } from './gate-expressions.js';
export { evaluateGate, evaluateGates, median } from './gates.js';
export type { DeviceWindows, GateResult } from './gates.js';
export { hashOrder, planWaves } from './wave-planner.js';
export type { PlannedWave } from './wave-planner.js';
export {
  countStates,
  FAILURE_STATES,
  FINAL_STATES,
  judgeWave,
  REPORTED_STATES,
  SUCCESS_STATES,
  waveMetrics,
} from './wave-judge.js';
export type { JudgeInput, StateCounts, WaveDecision, WaveMetrics } from './wave-judge.js';
export { checkStatusReport, transitionPath } from './device-progress.js';
export { systemClock, systemScheduler } from './rollout-ports.js';
export type {
  AssignOptions,
  AssignResult,
  DeviceStatusReport,
  FleetDevice,
  RolloutClock,
  RolloutDeployerPort,
  RolloutDevicesPort,
  RolloutPorts,
  RolloutScheduler,
  RolloutSignalsPort,
  ScheduledTask,
  StatusQuery,
  WindowQuery,
  WindowStats,
} from './rollout-ports.js';
export type {
  DeviceEntryRecord,
  EntryFilter,
  GateEvaluationRecord,
  GateStatus,
  NewRolloutEvent,
  RollbackProgress,
  RolloutChanges,
  RolloutEventRecord,
  RolloutEventType,
  RolloutReason,
  RolloutRecord,
  RolloutStore,
  WaveRecord,
} from './rollout-store.js';
export { SqliteRolloutStore } from './sqlite-rollout-store.js';
export type { SqliteRolloutStoreOptions } from './sqlite-rollout-store.js';
export { LATEST_ROLLOUT_SCHEMA_VERSION } from './rollout-migrations.js';
export { buildStatusView } from './rollout-status.js';
export type {
  GateView,
  RollbackView,
  RolloutStatusView,
  WaveStatusView,
} from './rollout-status.js';
