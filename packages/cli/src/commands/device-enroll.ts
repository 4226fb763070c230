import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { isDeviceId } from '@edgefleet/protocol';
import type { CommandSpec } from '../command.js';
import { CliError } from '../errors.js';
import { writeOutputFile } from '../file-io.js';
import {
  connectHub,
  HUB_CONNECTION_HELP,
  HUB_CONNECTION_OPTIONS,
} from '../hub-connection-options.js';
import type { DeviceProvisioning, DeviceView } from '../hub-views.js';
import { flag, requiredString, stringList } from '../option-values.js';
import { printResult } from '../output.js';
import { formatTags, parseTagPairs } from '../tag-arguments.js';

/** A device id as the hub and the broker accept it ([P-TP-2]). */
export function checkDeviceId(id: string): string {
  if (!isDeviceId(id)) {
    throw new CliError(
      'EF_CLI_USAGE',
      `'${id}' is not a device id: 1-64 of a-z 0-9 . _ - starting with a letter or digit (e.g. press-07)`,
    );
  }
  return id;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

export const deviceEnroll: CommandSpec = {
  path: ['device', 'enroll'],
  summary: 'Enrol a device and write its device.json (broker credentials and trust anchor)',
  description: [
    'The hub issues the device its own broker credentials (it stores only a hash of the secret)',
    'and answers with the provisioning document, written to --out with mode 0600: the only copy',
    'of the secret. Copy it to the device; the agent needs nothing else to start. --json prints',
    'the device, not the secret.',
    '',
    HUB_CONNECTION_HELP,
  ].join('\n'),
  options: {
    tags: {
      type: 'string',
      multiple: true,
      valueName: 'k=v,...',
      description: 'Tags for rollout selectors, e.g. site=plant-a,hw=rpi5 (repeatable)',
    },
    out: {
      type: 'string',
      valueName: 'device.json',
      description: 'Where to write the provisioning file',
    },
    force: { type: 'boolean', description: 'Replace an existing --out file' },
    ...HUB_CONNECTION_OPTIONS,
    json: { type: 'boolean', description: 'Print the device as JSON' },
  },
  positionals: [
    { name: 'id', description: 'The device id, also its MQTT username', required: true },
  ],
  examples: [
    'edgefleet device enroll press-07 --tags site=plant-a,hw=rpi5 --out press-07.json',
    'edgefleet device enroll cam-3 --out /secure/cam-3.json --force --json',
  ],
  async run(ctx) {
    const id = checkDeviceId(ctx.positionals[0] as string);
    const out = resolve(ctx.io.cwd, requiredString(ctx, 'out'));
    const force = flag(ctx, 'force');
    const tags = parseTagPairs(stringList(ctx, 'tags'), '--tags');
    // Checked before enrolling: once enrolled, the secret exists only in the answer.
    if (!force && (await exists(out))) {
      throw new CliError(
        'EF_CLI_FILE_EXISTS',
        `'${out}' already exists; pass --force to replace it (nothing was enrolled)`,
        { path: out },
      );
    }
    const hub = await connectHub(ctx);
    const { device, provisioning } = await hub.sendJson<{
      device: DeviceView;
      provisioning: DeviceProvisioning;
    }>('POST', '/v1/devices', { id, tags });
    try {
      await writeOutputFile(out, `${JSON.stringify(provisioning, null, 2)}\n`, {
        mode: 0o600,
        force,
      });
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new CliError(
        'EF_CLI_FILE_WRITE',
        `device '${id}' is enrolled but its device.json could not be written (${reason}); its secret is lost: revoke it with 'edgefleet device revoke ${id}' and enrol it under another id`,
        { path: out, deviceId: id },
        { cause: err },
      );
    }
    printResult(ctx, { device, file: out }, [
      `enrolled ${device.id} (tags ${formatTags(device.tags)})`,
      `  device.json  ${out} (mode 0600: it holds the device secret, the only copy)`,
      `  broker       ${provisioning.brokerUrl}`,
      `copy it to the device and start the agent with it`,
    ]);
  },
};
