export { HubError, HUB_ERROR_CODES } from './errors.js';
export type { HubErrorCode } from './errors.js';
export { StorageError, STORAGE_ERROR_CODES } from './storage/storage-errors.js';
export type { StorageErrorCode } from './storage/storage-errors.js';
export type {
  DesiredEnvelope,
  DesiredStateRecord,
  DeviceRecord,
  DeviceTags,
  HubStore,
  IngestResult,
  NewDevice,
  NewRelease,
  ReleaseRecord,
  TelemetryItem,
} from './storage/hub-store.js';
export { SqliteHubStore } from './storage/sqlite-hub-store.js';
export type { SqliteHubStoreOptions } from './storage/sqlite-hub-store.js';
export { LATEST_SCHEMA_VERSION } from './storage/migrations.js';
