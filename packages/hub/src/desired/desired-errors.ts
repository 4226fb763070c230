import { EdgefleetError } from '@edgefleet/protocol';

/** Error codes of desired-state assignment (to be merged into `HUB_ERROR_CODES`). */
export const DESIRED_ERROR_CODES = {
  EF_HUB_DESIRED_UNKNOWN_DEVICE: 'Desired state was assigned to a device id that is not enrolled.',
  EF_HUB_DESIRED_REVOKED_DEVICE: 'Desired state was assigned to a revoked device.',
  EF_HUB_DESIRED_ARGUMENT:
    'A desired-state assignment is invalid: a model name twice, more than 64 models, or a bad rollout id or wave.',
} as const satisfies Record<string, string>;

export type DesiredErrorCode = keyof typeof DESIRED_ERROR_CODES;

/** An error raised while assigning or publishing desired state. */
export class DesiredError extends EdgefleetError {
  declare readonly code: DesiredErrorCode;

  constructor(
    code: DesiredErrorCode,
    message: string,
    details?: Record<string, unknown>,
    options?: ErrorOptions,
  ) {
    super(code, message, details, options);
    this.name = 'DesiredError';
  }
}
