import { EdgefleetError } from '@edgefleet/protocol';
import { HUB_CLIENT_ERROR_CODES } from './hub-client-errors.js';
import { SIM_ERROR_CODES } from './sim/sim-errors.js';

/** The CLI's own error codes and what each means. `docs/errors.md` lists the same. */
export const CLI_ERROR_CODES = {
  ...HUB_CLIENT_ERROR_CODES,
  ...SIM_ERROR_CODES,
  EF_CLI_USAGE:
    'The command line is wrong: unknown command or option, or a missing or invalid value.',
  EF_CLI_FILE_READ: 'A file named on the command line could not be read.',
  EF_CLI_FILE_EXISTS: 'The output file already exists; pass --force to replace it.',
  EF_CLI_FILE_WRITE: 'An output file could not be written (permissions, full disk).',
} as const satisfies Record<string, string>;

export type CliErrorCode = keyof typeof CLI_ERROR_CODES;

/** An error raised by the CLI itself (usage and file handling). */
export class CliError extends EdgefleetError {
  declare readonly code: CliErrorCode;

  constructor(
    code: CliErrorCode,
    message: string,
    details?: Record<string, unknown>,
    options?: ErrorOptions,
  ) {
    super(code, message, details, options);
    this.name = 'CliError';
  }
}
