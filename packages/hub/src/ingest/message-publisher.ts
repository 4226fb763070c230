/** How hub components send MQTT messages, without knowing the client behind it. */

/** Publish options the hub uses. */
export interface PublishOptions {
  qos: 0 | 1;
  retain: boolean;
}

/** Sends one message; resolves when the broker accepted it (QoS 1) or it was written (QoS 0). */
export type MessagePublisher = (
  topic: string,
  payload: string | Buffer,
  options: PublishOptions,
) => Promise<void>;
