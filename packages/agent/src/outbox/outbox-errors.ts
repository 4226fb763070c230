import { EdgefleetError } from '@edgefleet/protocol';

/**
 * The outbox's error codes and what each means (to be merged into `AGENT_ERROR_CODES`). The
 * `..._DROPPED` and `..._EXPIRED` codes are not thrown: they are the codes of the `events`
 * records by which the outbox reports its own losses to the hub.
 */
export const OUTBOX_ERROR_CODES = {
  EF_AGENT_OUTBOX_FULL:
    'The outbox could not store a report because the disk or the database is full; reports already stored are kept.',
  EF_AGENT_OUTBOX_IO:
    'The outbox could not read or write its SQLite database (I/O error, read-only or corrupt file); reports already stored are kept.',
  EF_AGENT_OUTBOX_RECORD:
    'A report given to the outbox does not match the schema of its stream, is not serializable or is too large for one message; it was not stored.',
  EF_AGENT_OUTBOX_ARGUMENT:
    'The outbox was called with invalid arguments (unknown stream, non-object record, invalid device id, boot id or stream policy).',
  EF_AGENT_OUTBOX_CLOSED: 'The outbox was used after it was closed.',
  EF_AGENT_OUTBOX_ACK_INVALID:
    'An ack received from the hub could not be parsed; it was ignored and counted.',
  EF_AGENT_OUTBOX_DROPPED:
    "The agent's outbox dropped telemetry records because a stream was over its byte cap (reported as an event; counts per stream in details).",
  EF_AGENT_OUTBOX_EXPIRED:
    "The agent's outbox dropped telemetry records older than their stream's TTL (reported as an event; counts per stream in details).",
} as const satisfies Record<string, string>;

export type OutboxErrorCode = keyof typeof OUTBOX_ERROR_CODES;

/** An error raised by the agent's outbox. */
export class OutboxError extends EdgefleetError {
  declare readonly code: OutboxErrorCode;

  constructor(
    code: OutboxErrorCode,
    message: string,
    details?: Record<string, unknown>,
    options?: ErrorOptions,
  ) {
    super(code, message, details, options);
    this.name = 'OutboxError';
  }
}
