/**
 * The agent's one MQTT connection as the other agent modules see it (the outbox sender, the
 * downloader, the converger). `agent-link.ts` implements it over mqtt.js with the device's own
 * credentials; tests may implement it over a real broker too.
 */

/** Called for every message on one of the device's subscribed topics. */
export type LinkMessageHandler = (topic: string, payload: Buffer) => void;

/** The hub -> device messages a link dispatches ([P-TP-4] `deviceSubscriptions`). */
export type LinkMessageKind = 'desired' | 'ack' | 'blob/res' | 'hub-state';

export interface AgentLink {
  /** True while connected to the broker (and subscribed to the device's topics). */
  readonly connected: boolean;
  /**
   * Publishes (QoS 1 unless told otherwise); resolves when the broker acknowledged it (QoS 1)
   * or it was written (QoS 0). Rejects (coded) when not connected or when the connection
   * drops first: callers keep their data and retry later.
   */
  publish(
    topic: string,
    payload: Buffer | string,
    options?: { qos?: 0 | 1; retain?: boolean },
  ): Promise<void>;
  /**
   * Registers a handler for messages of one kind: topics ending with `/desired`, `/ack`,
   * `/blob/res` of this device, or `ef/v1/hub/state`; returns an unsubscribe function.
   */
  onMessage(kind: LinkMessageKind, handler: LinkMessageHandler): () => void;
  /** Registers a handler called on every (re)connection; returns an unsubscribe function. */
  onConnect(handler: () => void): () => void;
}

/**
 * The logging the link and the outbox need; a pino logger fits it. Every entry carries a
 * `code` (EF_...) in its object where it reports a problem.
 */
export interface AgentLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** A logger that discards everything (the default). */
export const silentLogger: AgentLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
