/** One command-line option of a command, as `node:util` parseArgs understands it, plus help text. */
export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  readonly multiple?: boolean;
  /** Shown in help as `--name <valueName>`. */
  readonly valueName?: string;
  readonly description: string;
  /** Shown in help; applied by the command itself so that "unset" stays observable. */
  readonly defaultText?: string;
}

export interface PositionalSpec {
  readonly name: string;
  readonly description: string;
  readonly required: boolean;
  /** The last positional may take any number of values. */
  readonly variadic?: boolean;
}

/** Where a command writes and what it may read of its environment; tests pass their own. */
export interface CliIO {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** True when stderr is a terminal, so progress may be drawn. */
  readonly isTTY: boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
}

export type OptionValues = Readonly<
  Record<string, string | boolean | (string | boolean)[] | undefined>
>;

export interface CommandContext {
  readonly values: OptionValues;
  readonly positionals: readonly string[];
  readonly io: CliIO;
  /** `--json` was given: print one JSON document on stdout and nothing else there. */
  readonly json: boolean;
}

/**
 * A leaf command such as `keys generate`. `run` returns the exit code (0 when omitted).
 * Errors thrown from `run` are printed with their code and turned into exit code 1.
 */
export interface CommandSpec {
  /** Words after `edgefleet`, e.g. `['keys', 'generate']`. */
  readonly path: readonly string[];
  readonly summary: string;
  readonly description?: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  readonly positionals?: readonly PositionalSpec[];
  readonly examples: readonly string[];
  readonly run: (ctx: CommandContext) => Promise<number | void>;
}

/** A word that groups commands (`keys`), shown in help with its summary. */
export interface GroupSpec {
  readonly name: string;
  readonly summary: string;
}
