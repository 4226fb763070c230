/**
 * Test helpers: the hub's embedded broker with throwaway credentials (every device `<id>`
 * authenticates with `pw-<id>`, the hub as `_hub`), and a deadline poll.
 */
import type { BrokerPrincipal } from '../../../hub/src/broker/broker-acl.js';
import { startEmbeddedBroker } from '../../../hub/src/broker/embedded-broker.js';
import type { EmbeddedBroker } from '../../../hub/src/broker/embedded-broker.js';

export const HUB_USER = '_hub';
export const HUB_PASSWORD = 'hub-test-token';

export const devicePassword = (id: string) => `pw-${id}`;

export interface TestBroker extends EmbeddedBroker {
  /** Authentication attempts seen, by username. */
  readonly attempts: Map<string, number>;
  /** While true, devices are refused (so a test hub can subscribe first). */
  refuseDevices: boolean;
}

/** Starts the embedded broker on `port` (0 = any free port). */
export async function startTestBroker(port = 0, refuseDevices = false): Promise<TestBroker> {
  const attempts = new Map<string, number>();
  const state = { refuseDevices };
  const broker = await startEmbeddedBroker({
    port,
    authenticate: async (username, password) => {
      attempts.set(username, (attempts.get(username) ?? 0) + 1);
      if (username === HUB_USER) return password === HUB_PASSWORD ? { kind: 'hub' } : undefined;
      if (state.refuseDevices || password !== devicePassword(username)) return undefined;
      return { kind: 'device', deviceId: username } satisfies BrokerPrincipal;
    },
  });
  return Object.defineProperties(broker, {
    attempts: { value: attempts },
    refuseDevices: {
      get: () => state.refuseDevices,
      set: (value: boolean) => {
        state.refuseDevices = value;
      },
    },
  }) as TestBroker;
}

/** A port that was free a moment ago (for a broker started later, on purpose). */
export async function freePort(): Promise<number> {
  const broker = await startTestBroker();
  const { port } = broker;
  await broker.close();
  return port;
}

/**
 * Polls `check` until it returns something other than undefined/false, or fails after the
 * deadline with `what` in the message.
 */
export async function poll<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
