import type { CliIO } from '../src/command.js';

/** A CliIO that records what a command printed, for in-process CLI tests. */
export function recordingIO(cwd = process.cwd()): CliIO & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    stdout: (t) => {
      out += t;
    },
    stderr: (t) => {
      err += t;
    },
    isTTY: false,
    env: {},
    cwd,
    out: () => out,
    err: () => err,
  };
}
