/** What the hub's log says about rollouts: decisions at info, per-device progress at debug. */
import type { Logger } from 'pino';
import type { RolloutEventRecord } from '../rollouts/index.js';

const DECISIONS = new Set<string>(['rollout-created', 'rollout-state', 'wave-state', 'gate']);
const TROUBLE = new Set<string>(['assign-failed']);

/**
 * Logs one persisted rollout event.
 *
 * @example
 * RolloutEngine.open(path, { ports, onEvent: (e) => logRolloutEvent(logger, e) });
 */
export function logRolloutEvent(logger: Logger, event: RolloutEventRecord): void {
  const fields = {
    ...event.data,
    rolloutId: event.rolloutId,
    event: event.type,
    ...(event.wave === null ? {} : { wave: event.wave }),
    ...(event.deviceId === null ? {} : { deviceId: event.deviceId }),
  };
  if (TROUBLE.has(event.type)) logger.warn(fields, `rollout ${event.type}`);
  else if (DECISIONS.has(event.type)) logger.info(fields, `rollout ${event.type}`);
  else logger.debug(fields, `rollout ${event.type}`);
}
