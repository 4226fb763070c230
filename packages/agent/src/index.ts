export { AgentError, AGENT_ERROR_CODES } from './errors.js';
export type { AgentErrorCode } from './errors.js';
export * from './health/index.js';
export * from './drift/index.js';
export * from './jobs/index.js';
export { connectAgentLink } from './link/agent-link.js';
export type { AgentLinkOptions, BirthContent, ConnectedAgentLink } from './link/agent-link.js';
export { silentLogger } from './link/agent-link-api.js';
export type {
  AgentLink,
  AgentLogger,
  LinkMessageHandler,
  LinkMessageKind,
} from './link/agent-link-api.js';
export { LinkError, LINK_ERROR_CODES } from './link/link-errors.js';
export { Outbox, openOutbox } from './outbox/outbox.js';
export type { OutboxOptions } from './outbox/outbox.js';
export type {
  OutboxStats,
  OutboxStatsSource,
  OutboxStream,
  OutboxStreamStats,
  ReportSink,
} from './outbox/outbox-api.js';
export { DEFAULT_STREAM_POLICIES } from './outbox/outbox-streams.js';
export type { StreamPolicy, StreamPolicyOverrides } from './outbox/outbox-streams.js';
export { OutboxError, OUTBOX_ERROR_CODES } from './outbox/outbox-errors.js';
export { ensureOutboxTables } from './outbox/outbox-tables.js';
export { openAgentDb } from './state/agent-db.js';
export type { AgentDb, AgentDbOptions } from './state/agent-db.js';
export * from './inference/index.js';
export * from './api/index.js';
export { Converger } from './converge/converger.js';
export type { ConvergerStatus } from './converge/converger.js';
export type { ConvergerOptions } from './converge/converger-options.js';
export { ConvergeError, CONVERGE_ERROR_CODES } from './converge/converge-errors.js';
export type { ConvergeErrorCode } from './converge/converge-errors.js';
export type { ExecutionRecord, ExecutionStep } from './converge/execution-journal.js';
export type { BundlePointer } from './converge/bundle-pointers.js';
export type { RestoreResult } from './converge/restore-serving.js';
export { BlobDownloader } from './download/blob-downloader.js';
export { HttpRangeDownloader } from './download/http-range-downloader.js';
export { DownloadError, DOWNLOAD_ERROR_CODES } from './download/download-errors.js';
export type { DownloadErrorCode } from './download/download-errors.js';
export type {
  BundleDownloadRequest,
  DownloadProgress,
  DownloadResult,
} from './download/download-types.js';
export { startAgent } from './agent/start-agent.js';
export type { RunningAgent, StartAgentExtras } from './agent/start-agent.js';
export { resolveAgentOptions } from './agent/agent-options.js';
export type { AgentOptions, AgentOptionsInput } from './agent/agent-options.js';
export { loadDeviceConfig } from './agent/load-device-config.js';
export { readAgentStatus, STATUS_FILE } from './agent/status-snapshot.js';
export type { AgentStatus, ReadAgentStatus } from './agent/status-snapshot.js';
export { AGENT_VERSION } from './agent/agent-version.js';
export type { InstallHooks } from './converge/installer.js';
