/**
 * `<state-dir>/status.json`: the running agent's view, rewritten every few seconds (temp file +
 * rename), so `edgefleet agent status` works without a local API and tells a stopped agent
 * (stale snapshot, dead pid) from a running one.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ConvergerStatus } from '../converge/converger.js';
import type { AgentLogger } from '../link/agent-link-api.js';

/** What `agent status` shows. */
export interface AgentStatus {
  deviceId: string;
  bootId: string;
  pid: number;
  agentVersion: string;
  updatedAt: string;
  broker: { url: string; connected: boolean };
  api: { url: string | undefined; socketPath: string | undefined };
  converger: ConvergerStatus;
  models: unknown[];
  outbox: unknown;
  drift: unknown;
}

/** File name of the snapshot inside the state directory. */
export const STATUS_FILE = 'status.json';

/**
 * Writes the snapshot now and every `intervalMs`.
 *
 * @example
 * const snapshots = startStatusSnapshots(stateDir, () => agent.status(), logger);
 */
export function startStatusSnapshots(
  stateDir: string,
  status: () => Promise<AgentStatus>,
  logger: AgentLogger,
  intervalMs = 2000,
): { stop(): Promise<void> } {
  const path = join(stateDir, STATUS_FILE);
  let writing: Promise<void> = Promise.resolve();
  const write = () => {
    writing = writing.then(async () => {
      try {
        const tmp = `${path}.${process.pid}.tmp`;
        await writeFile(tmp, `${JSON.stringify(await status(), null, 2)}\n`);
        await rename(tmp, path);
      } catch (err) {
        logger.warn({ err }, 'cannot write the status snapshot');
      }
    });
  };
  write();
  const timer = setInterval(write, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await writing;
    },
  };
}

/** A snapshot as read back, with whether its process is still alive. */
export interface ReadAgentStatus {
  running: boolean;
  status: AgentStatus | undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Reads `<stateDir>/status.json`; `running` is false when there is none or its pid is gone.
 *
 * @example
 * const { running, status } = await readAgentStatus('/var/lib/edgefleet');
 */
export async function readAgentStatus(stateDir: string): Promise<ReadAgentStatus> {
  let text: string;
  try {
    text = await readFile(join(stateDir, STATUS_FILE), 'utf8');
  } catch {
    return { running: false, status: undefined };
  }
  try {
    const status = JSON.parse(text) as AgentStatus;
    return { running: typeof status.pid === 'number' && alive(status.pid), status };
  } catch {
    return { running: false, status: undefined };
  }
}
