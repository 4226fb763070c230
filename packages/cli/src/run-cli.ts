import { parseArgs } from 'node:util';
import { isEdgefleetError } from '@edgefleet/protocol';
import type { CliIO, CommandSpec, OptionSpec } from './command.js';
import { CliError } from './errors.js';
import { formatCommandHelp, formatGroupHelp } from './help.js';
import { COMMANDS, GROUPS } from './registry.js';

/** The process's own stdout/stderr and environment. */
export function processIO(): CliIO {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    isTTY: process.stderr.isTTY === true,
    env: process.env,
    cwd: process.cwd(),
  };
}

/** Longest command path that is a prefix of `argv`'s leading words. */
function findCommand(words: readonly string[]): CommandSpec | undefined {
  let best: CommandSpec | undefined;
  for (const cmd of COMMANDS) {
    if (
      cmd.path.every((w, i) => words[i] === w) &&
      (best === undefined || cmd.path.length > best.path.length)
    ) {
      best = cmd;
    }
  }
  return best;
}

function leadingWords(argv: readonly string[]): string[] {
  const words: string[] = [];
  for (const arg of argv) {
    if (arg.startsWith('-')) break;
    words.push(arg);
  }
  return words;
}

function parseOptions(cmd: CommandSpec, args: string[]) {
  const options: Record<string, Pick<OptionSpec, 'type' | 'short' | 'multiple'>> = {
    help: { type: 'boolean', short: 'h' },
  };
  for (const [name, spec] of Object.entries(cmd.options)) {
    options[name] = {
      type: spec.type,
      ...(spec.short ? { short: spec.short } : {}),
      ...(spec.multiple ? { multiple: true } : {}),
    };
  }
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new CliError(
      'EF_CLI_USAGE',
      `${(err as Error).message}. Run 'edgefleet ${cmd.path.join(' ')} --help'.`,
    );
  }
}

/**
 * Runs the `edgefleet` command line and returns the exit code: 0 success, 1 a coded error,
 * 2 a usage error. Never throws.
 *
 * @example
 * process.exitCode = await runCli(['keys', 'generate', '--role', 'root', '--out', 'keys']);
 */
export async function runCli(argv: readonly string[], io: CliIO = processIO()): Promise<number> {
  const words = leadingWords(argv);
  const wantsHelp = argv.includes('--help') || argv.includes('-h');
  const json = argv.includes('--json');
  const cmd = findCommand(words);
  if (cmd === undefined) {
    const known = words.filter((_, i) =>
      COMMANDS.some((c) => words.slice(0, i + 1).every((w, j) => c.path[j] === w)),
    );
    if (wantsHelp || words.length === known.length) {
      io.stdout(formatGroupHelp(known, COMMANDS, GROUPS));
      return wantsHelp || argv.length === 0 ? 0 : 2;
    }
    io.stderr(`error EF_CLI_USAGE: unknown command '${words.join(' ')}'.\n\n`);
    io.stderr(formatGroupHelp(known, COMMANDS, GROUPS));
    return 2;
  }
  if (wantsHelp) {
    io.stdout(formatCommandHelp(cmd));
    return 0;
  }
  try {
    const { values, positionals } = parseOptions(cmd, argv.slice(cmd.path.length));
    const required = (cmd.positionals ?? []).filter((p) => p.required).length;
    const allowed = (cmd.positionals ?? []).some((p) => p.variadic === true)
      ? Number.POSITIVE_INFINITY
      : (cmd.positionals ?? []).length;
    if (positionals.length < required || positionals.length > allowed) {
      throw new CliError(
        'EF_CLI_USAGE',
        `expected ${required === allowed ? required : allowed === Number.POSITIVE_INFINITY ? `at least ${required}` : `${required} to ${allowed}`} argument(s), got ${positionals.length}. Run 'edgefleet ${cmd.path.join(' ')} --help'.`,
      );
    }
    const code = await cmd.run({ values, positionals, io, json: values['json'] === true });
    return code ?? 0;
  } catch (err) {
    return reportError(err, io, json);
  }
}

function reportError(err: unknown, io: CliIO, json: boolean): number {
  const usage = isEdgefleetError(err, 'EF_CLI_USAGE');
  if (isEdgefleetError(err)) {
    if (json) io.stdout(`${JSON.stringify({ ok: false, error: err.toJSON() }, null, 2)}\n`);
    io.stderr(`error ${err.code}: ${err.message}\n`);
  } else {
    // An uncoded exception is a bug in edgefleet, not bad input: show the stack to report it.
    io.stderr(
      `internal error (please report): ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
  }
  return usage ? 2 : 1;
}
