import { EdgefleetError } from '@edgefleet/protocol';

/** The agent link's error codes and what each means (to be merged into `AGENT_ERROR_CODES`). */
export const LINK_ERROR_CODES = {
  EF_AGENT_LINK_OPTIONS:
    'The MQTT link was given invalid options (broker URL, device id, boot id or timings).',
  EF_AGENT_LINK_OFFLINE:
    'The agent is not connected to the broker, so nothing was published; the caller keeps the message and retries after reconnecting.',
  EF_AGENT_LINK_DISCONNECTED:
    'The connection to the broker was lost before the broker acknowledged a publish; the caller should send it again.',
  EF_AGENT_LINK_CLOSED: 'The MQTT link was used after it was closed.',
  EF_AGENT_LINK_PUBLISH: 'The MQTT client refused or failed a publish.',
  EF_AGENT_LINK_TOO_LARGE:
    'A message is larger than the 256 KiB protocol cap; the broker would drop the connection, so it was not sent.',
  EF_AGENT_LINK_SUBSCRIBE:
    "The broker refused the device's subscriptions; acks, desired state and blob responses will not arrive (check the broker ACL).",
  EF_AGENT_LINK_BIRTH:
    'The birth message could not be built or does not match its schema; it was not published.',
} as const satisfies Record<string, string>;

export type LinkErrorCode = keyof typeof LINK_ERROR_CODES;

/** An error raised by the agent's MQTT link. */
export class LinkError extends EdgefleetError {
  declare readonly code: LinkErrorCode;

  constructor(
    code: LinkErrorCode,
    message: string,
    details?: Record<string, unknown>,
    options?: ErrorOptions,
  ) {
    super(code, message, details, options);
    this.name = 'LinkError';
  }
}
