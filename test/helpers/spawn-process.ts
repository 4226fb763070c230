/**
 * Long-running child processes for fault tests: `edgefleet agent start` / `hub start` (or a
 * fixture script) from source, with `--json`, resolved once the first JSON document is on
 * stdout. Every process started here is tracked, so `killAllProcesses()` in `afterEach` (and
 * the process `exit` hook) leaves nothing behind, even after a failed assertion.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI_MAIN = fileURLToPath(new URL('../../packages/cli/src/main.ts', import.meta.url));
const MAX_CAPTURE_CHARS = 512 * 1024;

/** How a process ended. */
export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A started child process whose first JSON document has been read. */
export interface RunningProcess<T = Record<string, unknown>> {
  readonly child: ChildProcess;
  readonly pid: number;
  /** The first JSON document the process printed on stdout. */
  readonly info: T;
  /** Everything printed so far (the tail, when very long). */
  stdout(): string;
  stderr(): string;
  /** Settles when the process has exited. */
  readonly exited: Promise<ProcessExit>;
  /** Sends `signal` (default SIGKILL) and waits for the exit. Idempotent once exited. */
  kill(signal?: NodeJS.Signals): Promise<ProcessExit>;
  /** SIGTERM, then SIGKILL after `graceMs` (default 10 s). */
  stop(graceMs?: number): Promise<ProcessExit>;
}

/** Options of {@link spawnFromSource}. */
export interface SpawnOptions {
  readonly env?: Record<string, string>;
  readonly cwd?: string;
  /** Deadline for the first JSON document; default 60 s (tsx + onnxruntime on a loaded machine). */
  readonly readyTimeoutMs?: number;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * The first complete JSON object in `text` (pretty-printed or not), or undefined while it is
 * still incomplete. Braces inside strings are skipped.
 */
export function firstJsonDocument(text: string): unknown {
  const start = text.indexOf('{');
  if (start < 0) return undefined;
  let depth = 0;
  let inString = false;
  let escaped = false;
  for (let i = start; i < text.length; i += 1) {
    const c = text[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (c === '\\') escaped = true;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{') depth += 1;
    else if (c === '}') {
      depth -= 1;
      if (depth === 0) return JSON.parse(text.slice(start, i + 1)) as unknown;
    }
  }
  return undefined;
}

function exitOf(child: ChildProcess): Promise<ProcessExit> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/**
 * Runs `node --conditions=source --import tsx <entry> ...args` and resolves once it printed a
 * JSON document on stdout. Rejects (after killing it) when it exits first or misses the deadline,
 * with its stderr in the message.
 *
 * @example
 * const proc = await spawnFromSource('test/e2e/fixtures/seed-outbox.ts', [stateDir]);
 * await proc.exited;
 */
export async function spawnFromSource<T = Record<string, unknown>>(
  entry: string,
  args: readonly string[],
  options: SpawnOptions = {},
): Promise<RunningProcess<T>> {
  const child = spawn(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', entry, ...args],
    {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, NO_COLOR: '1', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  running.add(child);
  const exited = exitOf(child);
  void exited.then(() => running.delete(child));
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => {
    out = (out + d.toString()).slice(-MAX_CAPTURE_CHARS);
  });
  child.stderr?.on('data', (d: Buffer) => {
    err = (err + d.toString()).slice(-MAX_CAPTURE_CHARS);
  });
  const kill = async (signal: NodeJS.Signals = 'SIGKILL') => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return exited;
  };
  const describe = () => `${entry} ${args.join(' ')}\n--- stdout\n${out}\n--- stderr\n${err}`;

  const info = await new Promise<T>((resolve, reject) => {
    const timeoutMs = options.readyTimeoutMs ?? 60_000;
    const timer = setTimeout(() => {
      cleanup();
      void kill();
      reject(new Error(`no JSON on stdout within ${timeoutMs} ms: ${describe()}`));
    }, timeoutMs);
    const onData = () => {
      let doc: unknown;
      try {
        doc = firstJsonDocument(out);
      } catch (e) {
        cleanup();
        void kill();
        reject(new Error(`stdout is not JSON (${String(e)}): ${describe()}`));
        return;
      }
      if (doc === undefined) return;
      cleanup();
      resolve(doc as T);
    };
    const onExit = () => {
      // Output may still be buffered in the pipe: read what arrived before giving up.
      setImmediate(() => {
        const doc = (() => {
          try {
            return firstJsonDocument(out);
          } catch {
            return undefined;
          }
        })();
        cleanup();
        if (doc !== undefined) resolve(doc as T);
        else reject(new Error(`exited before printing JSON: ${describe()}`));
      });
    };
    const onError = (e: Error) => {
      cleanup();
      reject(new Error(`cannot spawn ${entry}: ${e.message}`));
    };
    function cleanup() {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onError);
    }
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
  });

  return {
    child,
    pid: child.pid ?? 0,
    info,
    stdout: () => out,
    stderr: () => err,
    exited,
    kill,
    async stop(graceMs = 10_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/**
 * `edgefleet <args> --json` as a long-running child process; see {@link spawnFromSource}.
 *
 * @example
 * const agent = await spawnEdgefleet<{ apiUrl: string }>(['agent', 'start', '--config', cfg]);
 * await agent.kill('SIGKILL');
 */
export function spawnEdgefleet<T = Record<string, unknown>>(
  args: readonly string[],
  options: SpawnOptions = {},
): Promise<RunningProcess<T>> {
  return spawnFromSource<T>(CLI_MAIN, [...args, '--json'], options);
}

/**
 * SIGKILLs every process started by this module that is still running and waits for the
 * exits; for `afterEach`.
 *
 * @example
 * afterEach(killAllProcesses);
 */
export async function killAllProcesses(): Promise<void> {
  const children = [...running];
  await Promise.all(
    children.map((child) => {
      const exit = exitOf(child);
      child.kill('SIGKILL');
      return exit;
    }),
  );
}
