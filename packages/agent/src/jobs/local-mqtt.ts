/**
 * MQTT connections of jobs to a local broker (a sensor gateway's topics), apart from the
 * agent's own link to the hub: they use the URL's credentials, reconnect on their own and
 * log a connection problem once, not on every retry.
 */
import { connect, type MqttClient } from 'mqtt';
import type { JobLogger } from './job-source.js';

/**
 * Connects (in the background) to `url`; `onConnect` runs on every (re)connection.
 *
 * @example
 * const client = connectLocalMqtt('mqtt://127.0.0.1:1883', 'hourly-pm', logger);
 */
export function connectLocalMqtt(
  url: string,
  job: string,
  logger: JobLogger,
  onConnect?: (client: MqttClient) => void,
): MqttClient {
  const client = connect(url, {
    clientId: `ef-job-${job}-${Math.random().toString(16).slice(2, 10)}`,
    reconnectPeriod: 2000,
    connectTimeout: 10_000,
    protocolVersion: 4,
  });
  let reported = false;
  client.on('connect', () => {
    reported = false;
    onConnect?.(client);
  });
  client.on('error', (err) => {
    if (reported) return;
    reported = true;
    logger.warn(
      { job, url: redact(url), err: err.message },
      'job MQTT connection failed; retrying',
    );
  });
  return client;
}

/** The URL without its password, for logs. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return '<invalid url>';
  }
}
