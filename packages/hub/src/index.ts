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
  isDeviceSecretHash,
  DEVICE_SECRET_PBKDF2,
  MAX_DEVICE_SECRET_ITERATIONS,
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

export { startHub } from './hub/start-hub.js';
export type { RunningHub } from './hub/start-hub.js';
export { resolveHubOptions } from './hub/hub-options.js';
export type { HubOptions, ResolvedHubOptions } from './hub/hub-options.js';
export { HubStartError, HUB_START_ERROR_CODES } from './hub/hub-start-errors.js';
export { authenticateDevice, HUB_BROKER_USERNAME } from './hub/device-auth.js';
export type {
  BlobHandle,
  DeploymentView,
  DeviceModelView,
  DeviceProvisioning,
  DeviceView,
  HubApi,
  ReleaseView,
} from './api/hub-api.js';

export { startHttpApi, apiRoutes } from './http/start-http-api.js';
export type { HttpApiOptions, RunningHttpApi } from './http/start-http-api.js';
export { HttpApiError, HTTP_ERROR_CODES } from './http/http-errors.js';
export { statusForCode, statusForError } from './http/error-status.js';

export { BlobStore, checkSha256 } from './blobs/blob-store.js';
export { BlobError, BLOB_ERROR_CODES } from './blobs/blob-errors.js';
export { publishRelease, releaseView } from './releases/publish-release.js';
export { findRelease, listReleaseViews } from './releases/release-queries.js';
export { ReleaseError, RELEASE_ERROR_CODES } from './releases/release-errors.js';
export { loadHubKeys } from './keys/hub-keys.js';
export { checkHubTrust } from './keys/check-hub-trust.js';
export { loadOperatorToken } from './keys/operator-token.js';
export { KeyError, KEY_ERROR_CODES } from './keys/key-errors.js';
export { DesiredStateService } from './desired/desired-state-service.js';
export type {
  DeployOptions,
  DesiredModelRequest,
  PublishedDesired,
} from './desired/desired-state-service.js';
export { DesiredError, DESIRED_ERROR_CODES } from './desired/desired-errors.js';
export { createHubMetrics } from './metrics/hub-metrics.js';
export type { HubMetrics, RejectReason } from './metrics/hub-metrics.js';
export { Counter, Gauge, MetricsRegistry } from './metrics/metrics-registry.js';
export { createLogger } from './logging/create-logger.js';
export { DEFAULT_DEVICE_RATE_LIMIT, TokenBuckets } from './ingest/token-buckets.js';
export type { RateLimit } from './ingest/token-buckets.js';

export * from './rollouts/index.js';

export { writeMosquittoConfig, DEFAULT_MOSQUITTO_PORT } from './mosquitto/mosquitto-config.js';
export type {
  MosquittoConfigOptions,
  MosquittoConfigResult,
  MosquittoDevice,
  MosquittoHubUser,
} from './mosquitto/mosquitto-config.js';
export { reloadMosquitto } from './mosquitto/mosquitto-reload.js';
export { mosquittoDevicesFromStore } from './mosquitto/mosquitto-store.js';
export {
  MOSQUITTO_QUEUE_LIMITS,
  MOSQUITTO_MAX_PACKET_SIZE,
  MOSQUITTO_FILES,
} from './mosquitto/mosquitto-render.js';
export { MosquittoError, MOSQUITTO_ERROR_CODES } from './mosquitto/mosquitto-errors.js';
export type { MosquittoErrorCode } from './mosquitto/mosquitto-errors.js';
export {
  HUB_BROKER_SECRET_FILE,
  loadHubBrokerSecret,
  mosquittoRevokeHook,
  writeHubMosquittoConfig,
} from './mosquitto/hub-mosquitto-config.js';
export type { HubMosquittoConfigOptions } from './mosquitto/hub-mosquitto-config.js';
export type {
  CreateRolloutRequest,
  RolloutEventView,
  RolloutGateView,
  RolloutProgressView,
  RolloutReasonView,
  RolloutView,
  RolloutWaveView,
} from './api/hub-api.js';
export type { StartHubOptions } from './hub/start-hub.js';
export { createRolloutPorts } from './hub/rollout-ports-adapter.js';
export type { RolloutPortsDeps } from './hub/rollout-ports-adapter.js';
export { StoreSignals } from './hub/rollout-signals.js';
