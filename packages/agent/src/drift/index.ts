export { DRIFT_MONITOR_ERROR_CODES, DriftMonitorError } from './drift-monitor-errors.js';
export type { DriftMonitorErrorCode } from './drift-monitor-errors.js';
export { DEFAULT_DRIFT_WINDOW_MS, DriftMonitor } from './drift-monitor.js';
export type { DriftMonitorOptions, DriftMonitorStats } from './drift-monitor.js';
export { driftModelSpec, driftRows } from './drift-model.js';
export type { DriftInput, DriftModelSpec } from './drift-model.js';
export { driftRecord } from './drift-record.js';
export type { DriftWindowFacts, WindowCloseReason } from './drift-record.js';
