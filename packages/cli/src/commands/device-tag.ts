import type { CommandSpec } from '../command.js';
import {
  connectHub,
  HUB_CONNECTION_HELP,
  HUB_CONNECTION_OPTIONS,
} from '../hub-connection-options.js';
import type { DeviceView } from '../hub-views.js';
import { printResult } from '../output.js';
import { formatTags, parseTagPairs } from '../tag-arguments.js';
import { checkDeviceId } from './device-enroll.js';

export const deviceTag: CommandSpec = {
  path: ['device', 'tag'],
  summary: "Set or remove a device's tags (k=v sets, k= removes)",
  description: ['Other tags stay as they are.', '', HUB_CONNECTION_HELP].join('\n'),
  options: {
    ...HUB_CONNECTION_OPTIONS,
    json: { type: 'boolean', description: 'Print the device as JSON' },
  },
  positionals: [
    { name: 'id', description: 'The device id', required: true },
    {
      name: 'k=v[,k2=v2]',
      description: 'Tags to set; k= removes k',
      required: true,
      variadic: true,
    },
  ],
  examples: [
    'edgefleet device tag press-07 ring=canary',
    'edgefleet device tag press-07 site=plant-b,ring= --json',
  ],
  async run(ctx) {
    const id = checkDeviceId(ctx.positionals[0] as string);
    const tags = parseTagPairs(ctx.positionals.slice(1), 'tags', true);
    const hub = await connectHub(ctx);
    const device = await hub.sendJson<DeviceView>(
      'PATCH',
      `/v1/devices/${encodeURIComponent(id)}/tags`,
      { tags },
    );
    printResult(ctx, { device }, [`${device.id} tags ${formatTags(device.tags)}`]);
  },
};
