/** Recognising "address in use" failures from the broker and the HTTP server. */
import { EdgefleetError } from '@edgefleet/protocol';
import { HubStartError } from './hub-start-errors.js';

/** True when `err` or one of its causes is an EADDRINUSE or a *_PORT_IN_USE coded error. */
export function isPortInUse(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 8; depth++) {
    if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') return true;
    if (e instanceof EdgefleetError && e.code.endsWith('PORT_IN_USE')) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * The hub's `EF_HUB_PORT_IN_USE` for a port of `what` (MQTT or HTTP).
 *
 * @example
 * throw portInUse('MQTT', '0.0.0.0', 1883, err);
 */
export function portInUse(
  what: 'MQTT' | 'HTTP',
  host: string,
  port: number,
  cause: unknown,
): HubStartError {
  const hint =
    what === 'MQTT'
      ? 'start the hub with --broker mqtt://<host>:<port> to use a running broker, or pick another --mqtt-port'
      : 'pick another --http-port';
  return new HubStartError(
    'EF_HUB_PORT_IN_USE',
    `${what} port ${port} on ${host} is already in use: ${hint}`,
    { what, host, port },
    { cause },
  );
}
