import type { CommandSpec, GroupSpec } from './command.js';
import { agentStart } from './commands/agent-start.js';
import { agentStatus } from './commands/agent-status.js';
import { bundleInspect } from './commands/bundle-inspect.js';
import { bundleVerify } from './commands/bundle-verify.js';
import { compileCommand } from './commands/compile.js';
import { deployCommand } from './commands/deploy.js';
import { deviceEnroll } from './commands/device-enroll.js';
import { deviceList } from './commands/device-list.js';
import { deviceRevoke } from './commands/device-revoke.js';
import { deviceShow } from './commands/device-show.js';
import { deviceTag } from './commands/device-tag.js';
import { hubMosquittoConfig } from './commands/hub-mosquitto-config.js';
import { hubStart } from './commands/hub-start.js';
import { keysGenerate } from './commands/keys-generate.js';
import { keysInspect } from './commands/keys-inspect.js';
import { keysKeyring } from './commands/keys-keyring.js';
import { keysRotate } from './commands/keys-rotate.js';
import { releaseList } from './commands/release-list.js';
import { releasePublish } from './commands/release-publish.js';
import { releaseShow } from './commands/release-show.js';
import { rolloutAbort } from './commands/rollout-abort.js';
import { rolloutCreate } from './commands/rollout-create.js';
import { rolloutList } from './commands/rollout-list.js';
import { rolloutPause } from './commands/rollout-pause.js';
import { rolloutResume } from './commands/rollout-resume.js';
import { rolloutRollback } from './commands/rollout-rollback.js';
import { rolloutStatus } from './commands/rollout-status.js';
import { simCommand } from './commands/sim.js';
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
  hubStart,
  hubMosquittoConfig,
  releasePublish,
  releaseList,
  releaseShow,
  deviceEnroll,
  deviceList,
  deviceShow,
  deviceTag,
  deviceRevoke,
  deployCommand,
  rolloutCreate,
  rolloutStatus,
  rolloutList,
  rolloutPause,
  rolloutResume,
  rolloutAbort,
  rolloutRollback,
  agentStart,
  agentStatus,
  simCommand,
  version,
];

export const GROUPS: readonly GroupSpec[] = [
  { name: 'keys', summary: 'Create signing keys and the root-signed keyring that devices trust' },
  { name: 'bundle', summary: 'Inspect and verify signed model bundles (.efb)' },
  {
    name: 'hub',
    summary: 'Run the hub (HTTP API, MQTT broker, database) and configure its broker',
  },
  { name: 'release', summary: 'Publish bundles to the hub and look at its releases' },
  { name: 'device', summary: 'Enrol, list, tag and revoke devices on the hub' },
  {
    name: 'rollout',
    summary:
      'Roll releases out to devices in waves gated on their health, watch them, pause, abort or roll back',
  },
  { name: 'agent', summary: 'Run the device agent and look at its state' },
];
