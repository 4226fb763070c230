import type { CommandContext } from './command.js';
import { CliError } from './errors.js';

function usage(ctx: CommandContext, message: string): CliError {
  return new CliError('EF_CLI_USAGE', `${message}. Run with --help for the options.`);
}

/** A `--name <value>` that must be present. */
export function requiredString(ctx: CommandContext, name: string): string {
  const v = ctx.values[name];
  if (typeof v !== 'string' || v.length === 0) throw usage(ctx, `--${name} is required`);
  return v;
}

export function optionalString(ctx: CommandContext, name: string): string | undefined {
  const v = ctx.values[name];
  return typeof v === 'string' ? v : undefined;
}

/** A repeatable option; also splits comma-separated values (`--release a.pub,b.pub`). */
export function stringList(ctx: CommandContext, name: string): string[] {
  const v = ctx.values[name];
  const raw = Array.isArray(v)
    ? v.filter((x): x is string => typeof x === 'string')
    : typeof v === 'string'
      ? [v]
      : [];
  return raw
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

export function oneOf<T extends string>(
  ctx: CommandContext,
  name: string,
  allowed: readonly T[],
  fallback?: T,
): T {
  const v = ctx.values[name];
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw usage(
      ctx,
      `--${name} must be one of ${allowed.join(', ')}${v === undefined ? '' : ` (got '${String(v)}')`}`,
    );
  }
  return v as T;
}

export function flag(ctx: CommandContext, name: string): boolean {
  return ctx.values[name] === true;
}
