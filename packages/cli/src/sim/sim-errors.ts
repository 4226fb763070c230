import { EdgefleetError } from '@edgefleet/protocol';

/** The fleet simulator's error codes (to be merged into `CLI_ERROR_CODES`). */
export const SIM_ERROR_CODES = {
  EF_CLI_SIM_OPTIONS:
    'The fleet simulator was given invalid options (device or site count, rate, fault spec such as "fail-install=10%,slow=site-2").',
  EF_CLI_SIM_ENROLLED:
    'A simulated device is already enrolled on the hub but its device.json is not in the state directory, so its secret is lost; use the state directory of the run that enrolled it, another id prefix, or a fresh hub.',
  EF_CLI_SIM_DATA: 'The sensor data the simulator feeds to its devices could not be read.',
  EF_CLI_SIM_INSTALL_FAULT:
    'The fleet simulator made this install fail on purpose (fault injection: fail-install).',
} as const satisfies Record<string, string>;

export type SimErrorCode = keyof typeof SIM_ERROR_CODES;

/**
 * An error of the fleet simulator.
 *
 * @example
 * throw new SimError('EF_CLI_SIM_OPTIONS', 'devices must be an integer from 1 to 100000');
 */
export class SimError extends EdgefleetError {
  declare readonly code: SimErrorCode;

  constructor(
    code: SimErrorCode,
    message: string,
    details?: Record<string, unknown>,
    options?: ErrorOptions,
  ) {
    super(code, message, details, options);
    this.name = 'SimError';
  }
}
