/**
 * The agent's one MQTT connection as the other agent modules see it (the outbox sender, the
 * downloader, the converger). `agent-link.ts` implements it over mqtt.js with the device's own
 * credentials; tests may implement it over a real broker too.
 */

/** Called for every message on one of the device's subscribed topics. */
export type LinkMessageHandler = (topic: string, payload: Buffer) => void;

export interface AgentLink {
  /** True while connected to the broker. */
  readonly connected: boolean;
  /**
   * Publishes; resolves when the broker acknowledged it (QoS 1) or it was written (QoS 0).
   * Rejects (coded) when not connected: callers keep their data and retry later.
   */
  publish(
    topic: string,
    payload: Buffer | string,
    options?: { qos?: 0 | 1; retain?: boolean },
  ): Promise<void>;
  /** Registers a handler for messages whose topic ends with `/<kind>` (e.g. `desired`, `ack`, `blob/res`); returns an unsubscribe function. */
  onMessage(kind: 'desired' | 'ack' | 'blob/res', handler: LinkMessageHandler): () => void;
  /** Registers a handler called on every (re)connection; returns an unsubscribe function. */
  onConnect(handler: () => void): () => void;
}
