import type { CommandSpec, GroupSpec } from './command.js';
import { bundleInspect } from './commands/bundle-inspect.js';
import { bundleVerify } from './commands/bundle-verify.js';
import { compileCommand } from './commands/compile.js';
import { keysGenerate } from './commands/keys-generate.js';
import { keysInspect } from './commands/keys-inspect.js';
import { keysKeyring } from './commands/keys-keyring.js';
import { keysRotate } from './commands/keys-rotate.js';
import { version } from './commands/version.js';

/** Every command, in the order `edgefleet --help` lists them. */
export const COMMANDS: readonly CommandSpec[] = [
  compileCommand,
  keysGenerate,
  keysKeyring,
  keysRotate,
  keysInspect,
  bundleInspect,
  bundleVerify,
  version,
];

export const GROUPS: readonly GroupSpec[] = [
  { name: 'keys', summary: 'Create signing keys and the root-signed keyring that devices trust' },
  { name: 'bundle', summary: 'Inspect and verify signed model bundles (.efb)' },
];
