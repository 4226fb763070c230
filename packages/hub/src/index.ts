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
export {
  generateDeviceSecret,
  hashDeviceSecret,
  verifyDeviceSecret,
  DEVICE_SECRET_SCRYPT,
} from './broker/device-secrets.js';
export {
  canPublish,
  canSubscribe,
  isValidTopicFilter,
  devicePrincipal,
  DEVICE_PUBLISH_KINDS,
} from './broker/broker-acl.js';
export type { BrokerPrincipal, AclDecision } from './broker/broker-acl.js';
export {
  startEmbeddedBroker,
  DEFAULT_MAX_PAYLOAD_BYTES,
  MQTT_FRAMING_ALLOWANCE_BYTES,
  MqttFrameSizeGuard,
} from './broker/embedded-broker.js';
export type {
  EmbeddedBroker,
  EmbeddedBrokerOptions,
  BrokerAuthenticate,
} from './broker/embedded-broker.js';
export { BrokerError, BROKER_ERROR_CODES } from './broker/broker-errors.js';
export type { BrokerErrorCode } from './broker/broker-errors.js';
