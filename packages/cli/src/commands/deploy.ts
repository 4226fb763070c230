import type { CommandSpec } from '../command.js';
import {
  connectHub,
  HUB_CONNECTION_HELP,
  HUB_CONNECTION_OPTIONS,
} from '../hub-connection-options.js';
import type { DeploymentView } from '../hub-views.js';
import { requiredString } from '../option-values.js';
import { printResult } from '../output.js';
import { parseReleaseRef } from '../release-ref.js';
import { checkDeviceId } from './device-enroll.js';

export const deployCommand: CommandSpec = {
  path: ['deploy'],
  summary: 'Assign a release to one device (a new signed desired state)',
  description: [
    'The hub signs a new desired state for the device with its deploy key and publishes it,',
    "retained, on the device's topic; the agent downloads, verifies and switches to the bundle.",
    "Watch it converge with 'edgefleet device show <id>'. (Rollouts to many devices come later.)",
    '',
    HUB_CONNECTION_HELP,
  ].join('\n'),
  options: {
    device: { type: 'string', valueName: 'id', description: 'The device to deploy to' },
    ...HUB_CONNECTION_OPTIONS,
    json: { type: 'boolean', description: 'Print the deployment as JSON' },
  },
  positionals: [
    { name: 'name@version', description: 'The release, e.g. pm@1.0.0', required: true },
  ],
  examples: [
    'edgefleet deploy pm@1.0.0 --device press-07',
    'edgefleet deploy pm@1.1.0 --device press-07 --json',
  ],
  async run(ctx) {
    const ref = parseReleaseRef(ctx.positionals[0] as string, true);
    const deviceId = checkDeviceId(requiredString(ctx, 'device'));
    const hub = await connectHub(ctx);
    const deployment = await hub.sendJson<DeploymentView>('POST', '/v1/deployments', {
      name: ref.name,
      version: ref.version,
      deviceId,
    });
    printResult(ctx, { deployment }, [
      `deployed ${deployment.name}@${deployment.version} to ${deployment.deviceId} (desired state v${deployment.desiredVersion}, expires ${deployment.expires})`,
      `watch it with: edgefleet device show ${deployment.deviceId}`,
    ]);
  },
};
