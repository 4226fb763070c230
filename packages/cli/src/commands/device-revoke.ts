import type { CommandSpec } from '../command.js';
import {
  connectHub,
  HUB_CONNECTION_HELP,
  HUB_CONNECTION_OPTIONS,
} from '../hub-connection-options.js';
import type { DeviceView } from '../hub-views.js';
import { printResult } from '../output.js';
import { checkDeviceId } from './device-enroll.js';

export const deviceRevoke: CommandSpec = {
  path: ['device', 'revoke'],
  summary: 'Revoke a device: the broker disconnects it and refuses its credentials',
  description: [
    'Revocation is final: the id stays taken; a replacement device is enrolled under a new id.',
    '',
    HUB_CONNECTION_HELP,
  ].join('\n'),
  options: {
    ...HUB_CONNECTION_OPTIONS,
    json: { type: 'boolean', description: 'Print the device as JSON' },
  },
  positionals: [{ name: 'id', description: 'The device id', required: true }],
  examples: ['edgefleet device revoke press-07', 'edgefleet device revoke press-07 --json'],
  async run(ctx) {
    const id = checkDeviceId(ctx.positionals[0] as string);
    const hub = await connectHub(ctx);
    const device = await hub.sendJson<DeviceView>(
      'POST',
      `/v1/devices/${encodeURIComponent(id)}/revoke`,
    );
    printResult(ctx, { device }, [
      `revoked ${device.id} at ${device.revokedAt ?? '?'}: disconnected, its credentials are refused from now on`,
    ]);
  },
};
