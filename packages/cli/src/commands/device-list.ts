import type { CommandSpec } from '../command.js';
import {
  connectHub,
  HUB_CONNECTION_HELP,
  HUB_CONNECTION_OPTIONS,
} from '../hub-connection-options.js';
import { deviceTable } from '../hub-view-format.js';
import type { DeviceView } from '../hub-views.js';
import { stringList } from '../option-values.js';
import { printResult } from '../output.js';
import { formatTags, parseTagPairs } from '../tag-arguments.js';

export const deviceList: CommandSpec = {
  path: ['device', 'list'],
  summary: 'List enrolled devices, optionally those matching tags',
  description: [
    'Shows each device: online, offline or revoked, last seen, the models it runs and its tags.',
    '',
    HUB_CONNECTION_HELP,
  ].join('\n'),
  options: {
    select: {
      type: 'string',
      multiple: true,
      valueName: 'k=v,...',
      description: 'Only devices with all these tags, e.g. site=plant-a,hw=rpi5',
    },
    ...HUB_CONNECTION_OPTIONS,
    json: { type: 'boolean', description: 'Print the devices as JSON' },
  },
  examples: ['edgefleet device list', 'edgefleet device list --select site=plant-a,hw=rpi5 --json'],
  async run(ctx) {
    const selector = parseTagPairs(stringList(ctx, 'select'), '--select');
    const hub = await connectHub(ctx);
    const text = Object.keys(selector).length === 0 ? undefined : formatTags(selector);
    const devices = await hub.getJson<DeviceView[]>('/v1/devices', { selector: text });
    printResult(ctx, { devices }, deviceTable(devices));
  },
};
