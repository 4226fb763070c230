export { EdgefleetError, isEdgefleetError, ProtocolError, PROTOCOL_ERROR_CODES } from './errors.js';
export type { ProtocolErrorCode } from './errors.js';

export { canonicalize, canonicalBytes } from './canonical-json.js';
export { decodeBase64Strict, encodeBase64 } from './encoding.js';
export {
  generateKeyPair,
  keyIdOf,
  loadPrivateKey,
  loadPublicKey,
  publicKeyToBase64,
  rawPublicKey,
} from './keys.js';
export type { PrivateKeyInput, PublicKeyInput } from './keys.js';
export {
  BundleSignatureSchema,
  SignatureSchema,
  signBytes,
  signDocument,
  signEnvelope,
  signedEnvelopeSchema,
  verifyBytes,
  verifyDocumentSignature,
} from './signing.js';
export type { BundleSignature, Signature, Signed } from './signing.js';

export { KEY_ROLES, KeyringSchema, SignedKeyringSchema } from './keyring-schema.js';
export type { KeyRole, Keyring, SignedKeyring } from './keyring-schema.js';
export { createKeyring, rotateKeyring } from './keyring.js';
export type { CreateKeyringOptions, RotateKeyringOptions } from './keyring.js';
export { advanceKeyring, verifyKeyring, verifyKeyringChain } from './keyring-verify.js';
export type { KeyringTrust } from './keyring-verify.js';
export {
  resolveSigningKey,
  verifyBundleSignature,
  verifyRoleSignatures,
} from './role-signatures.js';

export { compareSemver, isSemver, parseSemver } from './semver.js';
export type { Semver } from './semver.js';
export { parseDuration } from './durations.js';

export {
  ARCHITECTURES,
  BaselineSchema,
  PostprocessSchema,
  PreprocessSchema,
  QuantizationSchema,
  SmokeTestSchema,
  TENSOR_DTYPES,
  TensorDataSchema,
  TensorSpecSchema,
  ValidationSchema,
} from './manifest-sections.js';
export type {
  Architecture,
  Baseline,
  Postprocess,
  Preprocess,
  Quantization,
  SmokeTest,
  TensorData,
  TensorDtype,
  TensorSpec,
  Validation,
} from './manifest-sections.js';
export {
  bundleFileNames,
  MANIFEST_SCHEMA_VERSION,
  ManifestSchema,
  MAX_MANIFEST_BYTES,
  parseManifest,
} from './manifest.js';
export type { Manifest } from './manifest.js';

export {
  DesiredEnvelopeSchema,
  DesiredModelSchema,
  DesiredStateSchema,
  parseDesiredEnvelope,
  signDesiredState,
  verifyDesiredState,
} from './desired-state.js';
export type {
  DesiredEnvelope,
  DesiredModel,
  DesiredState,
  VerifyDesiredOptions,
} from './desired-state.js';

export {
  canTransition,
  canTransitionRollout,
  canTransitionWave,
  DEVICE_DEPLOYMENT_STATES,
  DEVICE_TRANSITIONS,
  ROLLOUT_STATES,
  ROLLOUT_TRANSITIONS,
  WAVE_STATES,
  WAVE_TRANSITIONS,
} from './deployment-states.js';
export type { DeviceDeploymentState, RolloutState, WaveState } from './deployment-states.js';
export { DeploymentStatusSchema, parseStatus } from './status.js';
export type { DeploymentStatus } from './status.js';

export {
  DriftRecordSchema,
  EventRecordSchema,
  HealthRecordSchema,
  InferenceRecordSchema,
  MAX_RECORDS_PER_BATCH,
  parseTelemetryBatch,
  TELEMETRY_STREAMS,
  TelemetryBatchSchema,
} from './telemetry.js';
export type {
  DriftRecord,
  EventRecord,
  HealthRecord,
  InferenceRecord,
  TelemetryBatch,
  TelemetryStream,
} from './telemetry.js';
export { AckSchema, mergeRanges, parseAck, rangesContain, rangesFromSeqs } from './ack.js';
export type { Ack, SeqRange } from './ack.js';
export {
  BirthSchema,
  DeathSchema,
  HubStateSchema,
  parseBirth,
  parseDeath,
  parseHubState,
} from './presence.js';
export type { Birth, Death, HubState } from './presence.js';
export {
  BlobRequestSchema,
  BlobResponseHeaderSchema,
  decodeBlobResponse,
  DEFAULT_BLOB_BLOCK_BYTES,
  encodeBlobResponse,
  MAX_BLOB_BLOCK_BYTES,
  MAX_BLOB_HEADER_BYTES,
  parseBlobRequest,
} from './blob.js';
export type { BlobRequest, BlobResponseHeader } from './blob.js';

export {
  assertDeviceId,
  DEVICE_ACL_PATTERN,
  deviceSubscriptions,
  hubSubscriptions,
  isDeviceId,
  parseTopic,
  TOPIC_PREFIX,
  topicFilters,
  topics,
} from './topics.js';
export type { ParsedTopic, TopicKind } from './topics.js';

export { DEFAULT_MAX_MESSAGE_BYTES, formatPath, parseJson, validate } from './parse-json.js';
export type { ParseJsonOptions } from './parse-json.js';
export { messageParsers, parseKeyringEnvelope, parseSignature } from './messages.js';
export {
  BootIdSchema,
  DEVICE_ID_PATTERN,
  DeviceIdSchema,
  KeyIdSchema,
  ModelNameSchema,
  SemverStringSchema,
  Sha256HexSchema,
  TimestampSchema,
} from './schema-primitives.js';
export { DeviceProvisioningSchema, parseDeviceProvisioning } from './provisioning.js';
export type { DeviceProvisioning } from './provisioning.js';
