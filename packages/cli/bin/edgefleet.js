#!/usr/bin/env node
// The installed entry point: runs the compiled CLI. `npm ci` builds it (the root's `prepare`).
import { runCli } from '../dist/index.js';

process.exitCode = await runCli(process.argv.slice(2));
