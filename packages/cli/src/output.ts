import type { CommandContext } from './command.js';

/**
 * Prints a command's result: the JSON document with `--json`, else the human lines.
 * Human text goes to stdout too, so `edgefleet ... | less` shows it.
 */
export function printResult(
  ctx: CommandContext,
  result: Record<string, unknown>,
  human: readonly string[],
): void {
  if (ctx.json) {
    ctx.io.stdout(`${JSON.stringify({ ok: true, ...result }, null, 2)}\n`);
  } else {
    ctx.io.stdout(`${human.join('\n')}\n`);
  }
}
