/**
 * Deployment status reports ([P-ST-1]) through the durable outbox, following the device state
 * machine ([P-ST-2], `canTransition`): a transition the table does not allow is logged and not
 * sent, so the hub never sees an impossible sequence.
 */
import { canTransition } from '@edgefleet/protocol';
import type { DeviceDeploymentState } from '@edgefleet/protocol';
import type { ReportSink } from '../outbox/outbox-api.js';
import type { ConvergeLogger } from './converge-logger.js';
import type { ExecutionJournal, ExecutionRecord } from './execution-journal.js';

/** What a status names: the execution and its bundle. */
export interface StatusSubject {
  desiredVersion: number;
  executionId: string;
  model: string;
  version: string;
  sha256: string;
}

/** Optional parts of a status. */
export interface StatusExtra {
  progress?: { bytes: number; total: number };
  error?: { code: string; message: string };
}

/** Writes statuses and events to the outbox. */
export class StatusReporter {
  constructor(
    private readonly sink: ReportSink,
    private readonly journal: ExecutionJournal,
    private readonly logger: ConvergeLogger,
  ) {}

  /**
   * Reports `state` for `exec` when [P-ST-2] allows it from the last reported state; records it
   * as reported. Returns false when skipped.
   *
   * @example
   * reporter.report(exec, 'downloading', { progress: { bytes: 0, total: exec.bytes } });
   */
  report(exec: ExecutionRecord, state: DeviceDeploymentState, extra: StatusExtra = {}): boolean {
    const from = this.journal.get(exec.executionId)?.reported;
    if (from !== undefined && !canTransition(from, state)) {
      this.logger.warn(
        { executionId: exec.executionId, from, to: state },
        'status transition not allowed; not reported',
      );
      return false;
    }
    if (!this.append(exec, state, extra)) return false;
    this.journal.setReported(exec.executionId, state);
    return true;
  }

  /**
   * Reports a status outside the journal (a refused desired state): always `failed`.
   *
   * @example
   * reporter.refusal({ desiredVersion: 7, executionId: '7:pm', model: 'pm', version: '1.0.0', sha256 }, err);
   */
  refusal(subject: StatusSubject, error: { code: string; message: string }): boolean {
    return this.append(subject, 'failed', { error });
  }

  /**
   * Appends an `events` telemetry record, for what no status can carry.
   *
   * @example
   * reporter.event('warn', 'EF_AGENT_LOAD_FAILED', 'pump-anomaly 1.2.0 failed to load');
   */
  event(
    level: 'info' | 'warn' | 'error',
    code: string,
    message: string,
    details?: Record<string, unknown>,
  ): void {
    try {
      this.sink.append('events', {
        ts: new Date().toISOString(),
        level,
        code,
        message: message.slice(0, 4096),
        ...(details ? { details } : {}),
      });
    } catch (err) {
      this.logger.error({ err, code }, 'could not store an event report');
    }
  }

  private append(
    subject: StatusSubject,
    state: DeviceDeploymentState,
    extra: StatusExtra,
  ): boolean {
    const record: Record<string, unknown> = {
      ts: new Date().toISOString(),
      desiredVersion: subject.desiredVersion,
      executionId: subject.executionId,
      model: subject.model,
      version: subject.version,
      sha256: subject.sha256,
      state,
    };
    if (extra.progress) record['progress'] = { ...extra.progress };
    if (extra.error) {
      record['error'] = {
        code: extra.error.code.slice(0, 64),
        message: extra.error.message.slice(0, 2048),
      };
    }
    try {
      this.sink.append('status', record);
      return true;
    } catch (err) {
      this.logger.error(
        { err, executionId: subject.executionId, state },
        'could not store a status report',
      );
      return false;
    }
  }
}
