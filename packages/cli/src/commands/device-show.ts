import type { CommandSpec } from '../command.js';
import {
  connectHub,
  HUB_CONNECTION_HELP,
  HUB_CONNECTION_OPTIONS,
} from '../hub-connection-options.js';
import { deviceLines } from '../hub-view-format.js';
import type { DeviceView } from '../hub-views.js';
import { printResult } from '../output.js';
import { checkDeviceId } from './device-enroll.js';

export const deviceShow: CommandSpec = {
  path: ['device', 'show'],
  summary: 'Show a device: state, tags, models running and desired, deployments, health, drift',
  description: HUB_CONNECTION_HELP,
  options: {
    ...HUB_CONNECTION_OPTIONS,
    json: { type: 'boolean', description: 'Print the device as JSON (health and drift in full)' },
  },
  positionals: [{ name: 'id', description: 'The device id', required: true }],
  examples: ['edgefleet device show press-07', 'edgefleet device show press-07 --json'],
  async run(ctx) {
    const id = checkDeviceId(ctx.positionals[0] as string);
    const hub = await connectHub(ctx);
    const device = await hub.getJson<DeviceView>(`/v1/devices/${encodeURIComponent(id)}`);
    printResult(ctx, { device }, deviceLines(device));
  },
};
