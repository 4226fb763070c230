/**
 * A real Mosquitto 2.0 for tests: generated config (`writeMosquittoConfig`) on a free loopback
 * port, run in the foreground as a child process, stopped by pid.
 *
 * Privileges: started as root, Mosquitto switches to the `mosquitto` account before reading
 * password_file and acl_file (at start and on every SIGHUP). `writeMosquittoConfig` gives
 * password_file (0640) that account's group; this helper makes the caller's temp directory
 * searchable (0711, no listing) so the account can reach the files. Only when no `mosquitto`
 * account exists does it fall back to `user root`, since Mosquitto would otherwise switch to
 * `nobody`, which cannot read a 0640 file.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm, stat } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { writeMosquittoConfig } from '../../packages/hub/src/mosquitto/mosquitto-config.js';
import type {
  MosquittoDevice,
  MosquittoHubUser,
} from '../../packages/hub/src/mosquitto/mosquitto-config.js';
import { lookupAccount } from '../../packages/hub/src/mosquitto/mosquitto-files.js';
import { reloadMosquitto } from '../../packages/hub/src/mosquitto/mosquitto-reload.js';

export interface StartMosquittoOptions {
  /** A temp directory owned by the test; the helper works in a subdirectory it removes. */
  readonly dir: string;
  readonly devices: readonly MosquittoDevice[];
  readonly hub: MosquittoHubUser;
  /** Deadline for the broker to accept connections; default 15 s. */
  readonly startTimeoutMs?: number;
}

export interface RunningMosquitto {
  /** `mqtt://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** What Mosquitto wrote to stderr so far (its log), for diagnostics. */
  log(): string;
  /**
   * Rewrites the files (with new devices or hub user when given), sends SIGHUP and resolves
   * once Mosquitto has logged the reload. Mosquitto applies a reload in one pass of its
   * single-threaded loop, so any packet sent after this resolves sees the new settings.
   */
  reload(update?: { devices?: readonly MosquittoDevice[]; hub?: MosquittoHubUser }): Promise<void>;
  /** SIGTERM, then SIGKILL after a deadline; removes the generated files. Idempotent. */
  stop(): Promise<void>;
}

const STOP_GRACE_MS = 5000;
const RELOAD_TIMEOUT_MS = 10_000;
const MAX_LOG_CHARS = 256 * 1024;
const PORT_ATTEMPTS = 5;

const running = new Set<ChildProcess>();
process.once('exit', () => {
  // A crashed test run must not leave brokers behind.
  for (const child of running) child.kill('SIGKILL');
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || address === null) throw new Error('no port from bind(0)');
  return address.port;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function waitFor(check: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await pause(25);
  }
  return check();
}

/** Runs `mosquitto -c <conf>`; resolves once the port accepts, or reports why it did not. */
async function launch(
  conf: string,
  port: number,
  timeoutMs: number,
): Promise<{ child: ChildProcess; log: () => string } | { portTaken: boolean; log: string }> {
  const child = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let log = '';
  child.stderr?.on('data', (d: Buffer) => {
    log = (log + d.toString()).slice(-MAX_LOG_CHARS);
  });
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  const dead = () => child.exitCode !== null || child.signalCode !== null;
  // "running" is logged after every listener is bound: it tells our broker from another
  // process that grabbed the port between freePort() and the bind.
  const ready = await Promise.race([
    waitFor(async () => dead() || (log.includes(' running') && (await accepts(port))), timeoutMs),
    spawnError.then((err) => {
      throw new Error(`cannot run mosquitto (is it installed?): ${err.message}`);
    }),
  ]);
  if (ready && !dead()) return { child, log: () => log };
  child.kill('SIGKILL');
  await exited(child);
  return { portTaken: /address already in use/i.test(log), log };
}

/**
 * Starts Mosquitto with generated config for `devices` and `hub` on a free port.
 *
 * @example
 * const broker = await startMosquitto({ dir: tmp, devices, hub: { username: '_hub', secretHash } });
 * try { ... } finally { await broker.stop(); }
 */
export async function startMosquitto(options: StartMosquittoOptions): Promise<RunningMosquitto> {
  const isRoot = process.getuid?.() === 0;
  if (isRoot && ((await stat(options.dir)).mode & 0o001) === 0) {
    await chmod(options.dir, 0o711);
  }
  const workDir = await mkdtemp(join(options.dir, 'mosquitto-'));
  await chmod(workDir, 0o711);
  const user = isRoot && !(await lookupAccount('mosquitto')) ? 'root' : undefined;
  let devices = options.devices;
  let hub = options.hub;
  const write = (port: number) =>
    writeMosquittoConfig({
      outDir: workDir,
      devices,
      hub,
      port,
      host: '127.0.0.1',
      ...(user ? { user } : {}),
    });

  let lastLog = '';
  for (let attempt = 0; attempt < PORT_ATTEMPTS; attempt++) {
    const port = await freePort();
    const { files } = await write(port);
    const result = await launch(files[0] ?? '', port, options.startTimeoutMs ?? 15_000);
    if ('child' in result) {
      const { child, log } = result;
      const pid = child.pid ?? 0;
      let stopping: Promise<void> | undefined;
      return {
        url: `mqtt://127.0.0.1:${port}`,
        port,
        pid,
        log,
        async reload(update = {}) {
          devices = update.devices ?? devices;
          hub = update.hub ?? hub;
          await write(port);
          const before = log().split('Reloading config.').length;
          await reloadMosquitto(pid);
          const seen = await waitFor(
            () => log().split('Reloading config.').length > before,
            RELOAD_TIMEOUT_MS,
          );
          if (!seen) throw new Error(`mosquitto did not log a reload:\n${log()}`);
        },
        stop() {
          stopping ??= (async () => {
            child.kill('SIGTERM');
            const done = await Promise.race([
              exited(child).then(() => true),
              pause(STOP_GRACE_MS).then(() => false),
            ]);
            if (!done) {
              child.kill('SIGKILL');
              await exited(child);
            }
            await rm(workDir, { recursive: true, force: true });
          })();
          return stopping;
        },
      };
    }
    lastLog = result.log;
    if (!result.portTaken) break;
  }
  await rm(workDir, { recursive: true, force: true });
  throw new Error(`mosquitto did not start:\n${lastLog}`);
}
