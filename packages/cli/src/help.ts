import type { CommandSpec, GroupSpec } from './command.js';

const INDENT = '  ';

function pad(text: string, width: number): string {
  return text.length >= width ? `${text}  ` : text.padEnd(width);
}

function optionLabel(name: string, spec: CommandSpec['options'][string]): string {
  const short = spec.short === undefined ? '    ' : `-${spec.short}, `;
  const value = spec.type === 'string' ? ` <${spec.valueName ?? 'value'}>` : '';
  return `${short}--${name}${value}`;
}

/** Help for one leaf command: usage, description, positionals, options, examples. */
export function formatCommandHelp(cmd: CommandSpec): string {
  const positionals = (cmd.positionals ?? [])
    .map((p) => (p.required ? `<${p.name}>` : `[${p.name}]`) + (p.variadic ? '...' : ''))
    .join(' ');
  const lines = [
    `Usage: edgefleet ${cmd.path.join(' ')}${positionals ? ` ${positionals}` : ''} [options]`,
    '',
    cmd.summary,
  ];
  if (cmd.description !== undefined) lines.push('', cmd.description);
  if (cmd.positionals !== undefined && cmd.positionals.length > 0) {
    lines.push('', 'Arguments:');
    for (const p of cmd.positionals) lines.push(`${INDENT}${pad(p.name, 28)}${p.description}`);
  }
  const options = Object.entries(cmd.options);
  lines.push('', 'Options:');
  for (const [name, spec] of options) {
    const dflt = spec.defaultText === undefined ? '' : ` (default: ${spec.defaultText})`;
    lines.push(`${INDENT}${pad(optionLabel(name, spec), 32)}${spec.description}${dflt}`);
  }
  lines.push(`${INDENT}${pad('-h, --help', 32)}Show this help`);
  if (cmd.examples.length > 0) {
    lines.push('', 'Examples:');
    for (const ex of cmd.examples) lines.push(`${INDENT}${ex}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Help for a prefix such as `edgefleet` or `edgefleet keys`: the commands below it. */
export function formatGroupHelp(
  prefix: readonly string[],
  commands: readonly CommandSpec[],
  groups: readonly GroupSpec[],
): string {
  const below = commands.filter((c) => prefix.every((w, i) => c.path[i] === w));
  const title = prefix.length === 0 ? 'edgefleet' : `edgefleet ${prefix.join(' ')}`;
  const group = groups.find((g) => prefix.length === 1 && g.name === prefix[0]);
  const lines = [`Usage: ${title} <command> [options]`, ''];
  if (prefix.length === 0) {
    lines.push(
      'edgefleet compiles trained models into signed, quantized bundles, rolls them out to edge',
      'devices over MQTT in health-gated waves, and runs them offline on the devices.',
    );
  } else if (group !== undefined) {
    lines.push(group.summary);
  }
  lines.push('', 'Commands:');
  for (const c of below) {
    lines.push(`${INDENT}${pad(c.path.join(' '), 24)}${c.summary}`);
  }
  lines.push(
    '',
    `Run 'edgefleet <command> --help' for a command's options and examples.`,
    'Every command accepts --json for machine-readable output where it prints a result.',
  );
  return `${lines.join('\n')}\n`;
}
