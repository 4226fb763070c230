/**
 * The hub of the rollout benchmark in its own process: `edgefleet hub start` from source (tsx,
 * `--conditions=source`), both ports 0, `--json` to learn where it listens. The child is node
 * itself (no npx or shell in between), so its pid is the hub's for /proc sampling.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const MAIN = fileURLToPath(new URL('../../packages/cli/src/main.ts', import.meta.url));

/** A hub child process. */
export interface HubProcess {
  pid: number;
  httpUrl: string;
  brokerUrl: string;
  dataDir: string;
  token: string;
  /** `<data>/keys/release.key`, generated on this first start. */
  releaseKeyPath: string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the child exited. Idempotent. */
  stop(graceMs?: number): Promise<void>;
}

// Children still running when this process exits for any reason get SIGKILL.
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/**
 * Starts the hub with a fresh data dir and resolves once it printed its URLs.
 *
 * @example
 * const hub = await startHubProcess(join(dir, 'hub'));
 * try { await fetch(`${hub.httpUrl}/metrics`); } finally { await hub.stop(); }
 */
export async function startHubProcess(dataDir: string, timeoutMs = 60_000): Promise<HubProcess> {
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const child = spawn(
    process.execPath,
    [
      '--import',
      tsx,
      '--conditions=source',
      MAIN,
      'hub',
      'start',
      '--data',
      dataDir,
      '--host',
      '127.0.0.1',
      '--http-port',
      '0',
      '--mqtt-port',
      '0',
      '--log-level',
      'warn',
      '--json',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  live.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('exit', () => live.delete(child));
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (t: string) => {
    // Keep the tail only: a warn-level log of a 1,000-device run can be long.
    stderr = (stderr + t).slice(-8000);
  });
  const stop = async (graceMs = 10_000) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };
  try {
    const started = await new Promise<Record<string, unknown>>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(
        () => reject(new Error(`the hub did not start in ${timeoutMs} ms: ${stderr}`)),
        timeoutMs,
      );
      child.stdout.setEncoding('utf8').on('data', (t: string) => {
        out += t;
        try {
          // `--json` prints one pretty-printed object; it parses once it is complete.
          const parsed = JSON.parse(out) as Record<string, unknown>;
          clearTimeout(timer);
          resolve(parsed);
        } catch {
          // not complete yet
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`the hub exited (${code ?? signal}) before starting: ${stderr}`));
      });
    });
    const httpUrl = String(started['httpUrl']);
    const tokenPath = String(started['operatorTokenPath']);
    const keysDir = started['keysDir'];
    if (typeof keysDir !== 'string')
      throw new Error('the hub did not generate keys (not a fresh data dir?)');
    return {
      pid: child.pid!,
      httpUrl,
      brokerUrl: String(started['brokerUrl']),
      dataDir,
      token: (await readFile(tokenPath, 'utf8')).trim(),
      releaseKeyPath: `${keysDir}/release.key`,
      stop,
    };
  } catch (err) {
    await stop(2000);
    throw err;
  }
}
