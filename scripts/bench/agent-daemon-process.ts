/**
 * The whole agent daemon as a device runs it: `edgefleet agent start` in its own process with
 * one installed model, started after a reboot with the broker unreachable. Cold start is from
 * spawning the process to the first prediction answered over HTTP (the installed bundle is
 * verified and restored before the API opens); idle RSS is read from /proc after the agent has
 * answered a burst of requests and then idled long enough for V8's memory reducer to run (it
 * shrinks the heaps some 20-30 s after allocation stops), with no forced GC.
 *
 * The model is installed the real way first: a hub in this process, a release, a deploy and an
 * agent that converges to it (then stops, and the hub with it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

import {
  deadBrokerUrl,
  predict,
  startTestHub,
  writeDeviceConfig,
} from '../../test/helpers/agent-process.js';
import { buildPmBundle, makeTrust } from '../../test/helpers/trust-fixture.js';
import { resolveChildMode, type ChildMode } from './agent-built-dist.js';

export interface DaemonFigures {
  /** `--workers` given to `agent start`, or undefined for the default. */
  workers: number | undefined;
  /** Spawn to the first prediction answered (200) over HTTP. */
  coldStartMs: number;
  /** RSS right after the burst of requests. */
  busyRssMb: number;
  /** RSS after idling (median of the last samples). */
  idleRssMb: number;
  /** Where the idle RSS is, from /proc/<pid>/smaps at the end of the idle time. */
  idleBreakdownMb: RssBreakdown;
}

/** Resident memory by kind of mapping. */
export interface RssBreakdown {
  /** The node executable's resident pages (code and data, shared with other node processes). */
  node: number;
  /** libonnxruntime's resident pages. */
  onnxruntime: number;
  /** Other file-backed mappings (libraries, native addons). */
  otherFiles: number;
  /** Anonymous memory: JS heaps of the main thread and the workers, native allocations. */
  anonymous: number;
}

export interface DaemonOptions {
  /** One run per entry: a `--workers` value, or undefined for the agent's default. */
  workers?: readonly (number | undefined)[];
  /** Predictions answered before idling; default 2,000. */
  requests?: number;
  /** Seconds of idling before the RSS is read; default {@link IDLE_SECONDS}. */
  idleSeconds?: number;
  mode?: ChildMode | 'auto';
}

/** Idle time before the idle RSS is read: V8's memory reducer needs 20-40 s after the load. */
export const IDLE_SECONDS = 60;

const CLI_BIN = fileURLToPath(new URL('../../packages/cli/bin/edgefleet.js', import.meta.url));
const CLI_SOURCE = fileURLToPath(new URL('../../packages/cli/src/main.ts', import.meta.url));

/**
 * Installs the PM model on a fresh agent state directory, then measures one offline restart
 * per `workers` entry.
 *
 * @example
 * const { runs } = await measureDaemon({ workers: [undefined, 1] });
 */
export async function measureDaemon(
  options: DaemonOptions = {},
): Promise<{ mode: ChildMode; runs: DaemonFigures[] }> {
  const mode = resolveChildMode(options.mode ?? 'auto', ['protocol', 'runtime', 'agent', 'cli']);
  const dir = await mkdtemp(join(tmpdir(), 'ef-bench-daemon-'));
  try {
    const stateDir = join(dir, 'agent');
    const offlineConfig = await installPm(dir, stateDir, mode);
    const runs: DaemonFigures[] = [];
    for (const workers of options.workers ?? [undefined]) {
      runs.push(
        await restartOffline(offlineConfig, stateDir, mode, workers, {
          requests: options.requests ?? 2000,
          idleSeconds: options.idleSeconds ?? IDLE_SECONDS,
        }),
      );
    }
    return { mode, runs };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Hub, release, device and one converged agent; returns a config whose broker is down. */
async function installPm(dir: string, stateDir: string, mode: ChildMode): Promise<string> {
  const trust = makeTrust();
  const efb = await buildPmBundle(dir, trust.release.privateKey, { version: '1.0.0' });
  const hub = await startTestHub(dir, trust);
  try {
    await hub.api.publishRelease(await readFile(efb));
    const { provisioning } = await hub.api.enrollDevice('bench-agent-1', {});
    const config = await writeDeviceConfig(join(dir, 'device.json'), provisioning);
    const agent = startAgent(mode, config, stateDir, ['--probation', '1s']);
    try {
      const { apiUrl } = await agent.ready;
      await hub.api.deploy('pm', '1.0.0', 'bench-agent-1');
      await until(async () => (await predict(apiUrl)).body.version === '1.0.0', 'pm serves');
      // Past probation, so the restart below is an ordinary reboot, not a rollback candidate.
      await until(
        () => readFileSync(join(stateDir, 'status.json'), 'utf8').includes('"healthy"'),
        'pm healthy',
      );
    } finally {
      await agent.stop();
    }
    return await writeDeviceConfig(join(dir, 'device-offline.json'), provisioning, {
      brokerUrl: await deadBrokerUrl(),
    });
  } finally {
    await hub.close();
  }
}

async function restartOffline(
  config: string,
  stateDir: string,
  mode: ChildMode,
  workers: number | undefined,
  load: { requests: number; idleSeconds: number },
): Promise<DaemonFigures> {
  const started = performance.now();
  const agent = startAgent(
    mode,
    config,
    stateDir,
    workers === undefined ? [] : ['--workers', String(workers)],
  );
  try {
    const { apiUrl } = await agent.ready;
    const first = await predict(apiUrl);
    const coldStartMs = performance.now() - started;
    if (first.status !== 200) throw new Error(`first prediction answered ${first.status}`);
    for (let i = 0; i < load.requests; i++) await predict(apiUrl);
    const busyRssMb = rssMb(agent.pid);
    const samples: number[] = [];
    for (let s = 0; s < load.idleSeconds; s++) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      samples.push(rssMb(agent.pid));
    }
    const last = samples.slice(-5).sort((a, b) => a - b);
    return {
      workers,
      coldStartMs,
      busyRssMb,
      idleRssMb: last[Math.floor(last.length / 2)]!,
      idleBreakdownMb: rssBreakdown(agent.pid),
    };
  } finally {
    await agent.stop();
  }
}

interface AgentChild {
  pid: number;
  ready: Promise<{ apiUrl: string }>;
  stop(): Promise<void>;
}

function startAgent(
  mode: ChildMode,
  config: string,
  stateDir: string,
  extra: readonly string[],
): AgentChild {
  const entry =
    mode === 'built' ? [CLI_BIN] : ['--conditions=source', '--import', 'tsx', CLI_SOURCE];
  const args = ['agent', 'start', '--config', config, '--state-dir', stateDir];
  const child: ChildProcess = spawn(
    process.execPath,
    [...entry, ...args, '--api-port', '0', '--json', '--log-level', 'error', ...extra],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = new Promise<{ apiUrl: string }>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      try {
        resolve(JSON.parse(stdout) as { apiUrl: string });
      } catch {
        // The document is not complete yet.
      }
    });
    child.stderr!.on(
      'data',
      (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)),
    );
    void exited.then(() => reject(new Error(`agent start exited early: ${stderr.trim()}`)));
  });
  ready.catch(() => undefined);
  return {
    pid: child.pid!,
    ready,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+)\s*kB/.exec(status)?.[1];
  if (kb === undefined) throw new Error(`no VmRSS for process ${pid}`);
  return Number(kb) / 1024;
}

function rssBreakdown(pid: number): RssBreakdown {
  const out: RssBreakdown = { node: 0, onnxruntime: 0, otherFiles: 0, anonymous: 0 };
  let kind: keyof RssBreakdown = 'anonymous';
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const mapping = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ (\d+)\s*(.*)$/.exec(line);
    if (mapping !== null) {
      const [, inode, path = ''] = mapping;
      if (inode === '0' || path.startsWith('[')) kind = 'anonymous';
      else if (path === process.execPath) kind = 'node';
      else if (path.includes('libonnxruntime')) kind = 'onnxruntime';
      else kind = 'otherFiles';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss !== null) out[kind] += Number(rss[1]) / 1024;
  }
  return out;
}

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = performance.now() + 90_000;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // Not there yet (connection refused, file not written).
    }
    if (performance.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
