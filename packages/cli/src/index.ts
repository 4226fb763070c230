export { runCli, processIO } from './run-cli.js';
export { CliError, CLI_ERROR_CODES } from './errors.js';
export type { CliErrorCode } from './errors.js';
export type { CliIO, CommandSpec, CommandContext, OptionSpec } from './command.js';
export { startFleet } from './sim/start-fleet.js';
export type { FleetOptions, FleetEvent, FleetDevice, RunningFleet } from './sim/start-fleet.js';
export type { FleetSummary, SimDeviceSummary } from './sim/fleet-summary.js';
export { SimError, SIM_ERROR_CODES } from './sim/sim-errors.js';
