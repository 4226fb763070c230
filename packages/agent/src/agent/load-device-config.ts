/**
 * Reads `device.json` ([P-PV-1]). Every failure is `EF_AGENT_CONFIG` with the path and the
 * reason, because this is the first thing an installer sees go wrong on a new device.
 */
import { readFile, stat } from 'node:fs/promises';
import { isEdgefleetError, parseDeviceProvisioning } from '@edgefleet/protocol';
import type { DeviceProvisioning } from '@edgefleet/protocol';
import { AgentError } from '../errors.js';

/**
 * Loads and validates a provisioning file; warns (through `onWarning`) when other users can read
 * it, since it holds the device's secret.
 *
 * @example
 * const config = await loadDeviceConfig('/etc/edgefleet/device.json');
 */
export async function loadDeviceConfig(
  path: string,
  onWarning: (message: string) => void = () => {},
): Promise<DeviceProvisioning> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new AgentError(
      'EF_AGENT_CONFIG',
      code === 'ENOENT'
        ? `device config ${path} does not exist (write it with: edgefleet device enroll <id> --out ${path})`
        : `cannot read device config ${path}: ${(error as Error).message}`,
      { path, errno: code },
      { cause: error },
    );
  }
  try {
    const config = parseDeviceProvisioning(text);
    const mode = (await stat(path)).mode & 0o077;
    if (mode !== 0)
      onWarning(
        `${path} is readable by other users; it holds the device secret (chmod 600 ${path})`,
      );
    return config;
  } catch (error) {
    if (isEdgefleetError(error) && error.code.startsWith('EF_PROTO_')) {
      throw new AgentError(
        'EF_AGENT_CONFIG',
        `device config ${path}: ${error.message}`,
        { path, cause: error.code },
        { cause: error },
      );
    }
    throw error;
  }
}
