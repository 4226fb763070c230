// Development entry point: `npm run edgefleet -- <args>` runs the CLI from source without a build.
import { runCli } from './run-cli.js';

process.exitCode = await runCli(process.argv.slice(2));
