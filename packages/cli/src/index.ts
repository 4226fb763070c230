export { runCli, processIO } from './run-cli.js';
export { CliError, CLI_ERROR_CODES } from './errors.js';
export type { CliErrorCode } from './errors.js';
export type { CliIO, CommandSpec, CommandContext, OptionSpec } from './command.js';
