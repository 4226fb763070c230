/**
 * Reloading an external Mosquitto after its password_file or acl_file changed: SIGHUP makes it
 * re-read both and re-check every connected client (docs/mosquitto.md).
 */
import { readFile } from 'node:fs/promises';
import { MosquittoError } from './mosquitto-errors.js';

async function pidFromFile(pidFile: string): Promise<number> {
  let text: string;
  try {
    text = await readFile(pidFile, 'utf8');
  } catch (err) {
    throw new MosquittoError(
      'EF_HUB_MOSQUITTO_PID',
      `cannot read the Mosquitto pid file ${pidFile}: ${(err as Error).message}`,
      { pidFile, errno: (err as NodeJS.ErrnoException).code },
      { cause: err },
    );
  }
  const trimmed = text.trim();
  if (!/^\d{1,10}$/.test(trimmed)) {
    throw new MosquittoError('EF_HUB_MOSQUITTO_PID', `${pidFile} does not hold a pid`, {
      pidFile,
    });
  }
  return Number(trimmed);
}

/** The process name on Linux, or undefined where /proc is unavailable. */
async function processName(pid: number): Promise<string | undefined> {
  try {
    return (await readFile(`/proc/${pid}/comm`, 'utf8')).trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    return undefined;
  }
}

/**
 * Sends SIGHUP to the Mosquitto process given by `target`: a pid, or the path of its pid file
 * (`pid_file` in the operator's mosquitto.conf). Resolves to the pid signalled. Throws
 * `EF_HUB_MOSQUITTO_PID` for an unreadable pid file or a pid below 2 (0 and -1 would signal
 * whole process groups), `EF_HUB_MOSQUITTO_NOT_RUNNING` when no such process exists or, on
 * Linux, the process is not `mosquitto` (a stale pid file), `EF_HUB_MOSQUITTO_SIGNAL` when the
 * signal is refused (EPERM: run the hub as the same user as Mosquitto, or as root).
 *
 * @example
 * await reloadMosquitto('/run/mosquitto/mosquitto.pid');
 */
export async function reloadMosquitto(target: string | number): Promise<number> {
  const pid = typeof target === 'number' ? target : await pidFromFile(target);
  if (!Number.isSafeInteger(pid) || pid < 2) {
    throw new MosquittoError('EF_HUB_MOSQUITTO_PID', `${String(pid)} is not a process id`, {
      pid,
    });
  }
  const name = await processName(pid);
  if (name === '') {
    throw new MosquittoError('EF_HUB_MOSQUITTO_NOT_RUNNING', `no process with pid ${pid}`, {
      pid,
    });
  }
  if (name !== undefined && !name.startsWith('mosquitto')) {
    throw new MosquittoError(
      'EF_HUB_MOSQUITTO_NOT_RUNNING',
      `pid ${pid} is "${name}", not mosquitto (stale pid file?)`,
      { pid, name },
    );
  }
  try {
    process.kill(pid, 'SIGHUP');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') {
      throw new MosquittoError(
        'EF_HUB_MOSQUITTO_NOT_RUNNING',
        `no process with pid ${pid}`,
        { pid },
        { cause: err },
      );
    }
    throw new MosquittoError(
      'EF_HUB_MOSQUITTO_SIGNAL',
      `cannot send SIGHUP to pid ${pid}: ${(err as Error).message}`,
      { pid, errno: code },
      { cause: err },
    );
  }
  return pid;
}
